"""Cloud DNS v1's discovery document, trimmed to what failover calls: written by
lab/apischema/trim_clouddns.py (see its docstring to regenerate); do not edit.
"""

from __future__ import annotations

import json
from typing import Any

DOCUMENT: dict[str, Any] = json.loads(r"""
{
 "basePath": "",
 "discoveryVersion": "v1",
 "id": "dns:v1",
 "kind": "discovery#restDescription",
 "name": "dns",
 "parameters": {
  "$.xgafv": {
   "enum": [
    "1",
    "2"
   ],
   "location": "query",
   "type": "string"
  },
  "access_token": {
   "location": "query",
   "type": "string"
  },
  "alt": {
   "default": "json",
   "enum": [
    "json",
    "media",
    "proto"
   ],
   "location": "query",
   "type": "string"
  },
  "callback": {
   "location": "query",
   "type": "string"
  },
  "fields": {
   "location": "query",
   "type": "string"
  },
  "key": {
   "location": "query",
   "type": "string"
  },
  "oauth_token": {
   "location": "query",
   "type": "string"
  },
  "prettyPrint": {
   "default": "true",
   "location": "query",
   "type": "boolean"
  },
  "quotaUser": {
   "location": "query",
   "type": "string"
  },
  "uploadType": {
   "location": "query",
   "type": "string"
  },
  "upload_protocol": {
   "location": "query",
   "type": "string"
  }
 },
 "protocol": "rest",
 "resources": {
  "changes": {
   "methods": {
    "create": {
     "flatPath": "dns/v1/projects/{project}/managedZones/{managedZone}/changes",
     "httpMethod": "POST",
     "id": "dns.changes.create",
     "parameterOrder": [
      "project",
      "managedZone"
     ],
     "parameters": {
      "clientOperationId": {
       "location": "query",
       "type": "string"
      },
      "managedZone": {
       "location": "path",
       "required": true,
       "type": "string"
      },
      "project": {
       "location": "path",
       "required": true,
       "type": "string"
      }
     },
     "path": "dns/v1/projects/{project}/managedZones/{managedZone}/changes",
     "request": {
      "$ref": "Change"
     },
     "response": {
      "$ref": "Change"
     }
    },
    "get": {
     "flatPath": "dns/v1/projects/{project}/managedZones/{managedZone}/changes/{changeId}",
     "httpMethod": "GET",
     "id": "dns.changes.get",
     "parameterOrder": [
      "project",
      "managedZone",
      "changeId"
     ],
     "parameters": {
      "changeId": {
       "location": "path",
       "required": true,
       "type": "string"
      },
      "clientOperationId": {
       "location": "query",
       "type": "string"
      },
      "managedZone": {
       "location": "path",
       "required": true,
       "type": "string"
      },
      "project": {
       "location": "path",
       "required": true,
       "type": "string"
      }
     },
     "path": "dns/v1/projects/{project}/managedZones/{managedZone}/changes/{changeId}",
     "response": {
      "$ref": "Change"
     }
    }
   }
  },
  "managedZones": {
   "methods": {
    "get": {
     "flatPath": "dns/v1/projects/{project}/managedZones/{managedZone}",
     "httpMethod": "GET",
     "id": "dns.managedZones.get",
     "parameterOrder": [
      "project",
      "managedZone"
     ],
     "parameters": {
      "clientOperationId": {
       "location": "query",
       "type": "string"
      },
      "managedZone": {
       "location": "path",
       "required": true,
       "type": "string"
      },
      "project": {
       "location": "path",
       "required": true,
       "type": "string"
      }
     },
     "path": "dns/v1/projects/{project}/managedZones/{managedZone}",
     "response": {
      "$ref": "ManagedZone"
     }
    }
   }
  },
  "resourceRecordSets": {
   "methods": {
    "list": {
     "flatPath": "dns/v1/projects/{project}/managedZones/{managedZone}/rrsets",
     "httpMethod": "GET",
     "id": "dns.resourceRecordSets.list",
     "parameterOrder": [
      "project",
      "managedZone"
     ],
     "parameters": {
      "filter": {
       "location": "query",
       "type": "string"
      },
      "managedZone": {
       "location": "path",
       "required": true,
       "type": "string"
      },
      "maxResults": {
       "format": "int32",
       "location": "query",
       "type": "integer"
      },
      "name": {
       "location": "query",
       "type": "string"
      },
      "pageToken": {
       "location": "query",
       "type": "string"
      },
      "project": {
       "location": "path",
       "required": true,
       "type": "string"
      },
      "type": {
       "location": "query",
       "type": "string"
      }
     },
     "path": "dns/v1/projects/{project}/managedZones/{managedZone}/rrsets",
     "response": {
      "$ref": "ResourceRecordSetsListResponse"
     }
    }
   }
  }
 },
 "revision": "20261009",
 "rootUrl": "https://dns.googleapis.com/",
 "schemas": {
  "Change": {
   "id": "Change",
   "properties": {
    "additions": {
     "items": {
      "$ref": "ResourceRecordSet"
     },
     "type": "array"
    },
    "deletions": {
     "items": {
      "$ref": "ResourceRecordSet"
     },
     "type": "array"
    },
    "id": {
     "type": "string"
    },
    "isServing": {
     "type": "boolean"
    },
    "kind": {
     "default": "dns#change",
     "readOnly": true,
     "type": "string"
    },
    "startTime": {
     "type": "string"
    },
    "status": {
     "enum": [
      "pending",
      "done"
     ],
     "type": "string"
    }
   },
   "type": "object"
  },
  "DnsKeySpec": {
   "id": "DnsKeySpec",
   "properties": {
    "algorithm": {
     "enum": [
      "rsasha1",
      "rsasha256",
      "rsasha512",
      "ecdsap256sha256",
      "ecdsap384sha384"
     ],
     "type": "string"
    },
    "keyLength": {
     "format": "uint32",
     "type": "integer"
    },
    "keyType": {
     "enum": [
      "keySigning",
      "zoneSigning"
     ],
     "type": "string"
    },
    "kind": {
     "default": "dns#dnsKeySpec",
     "readOnly": true,
     "type": "string"
    }
   },
   "type": "object"
  },
  "ManagedZone": {
   "id": "ManagedZone",
   "properties": {
    "cloudLoggingConfig": {
     "$ref": "ManagedZoneCloudLoggingConfig"
    },
    "creationTime": {
     "type": "string"
    },
    "dnsName": {
     "type": "string"
    },
    "dnssecConfig": {
     "$ref": "ManagedZoneDnsSecConfig"
    },
    "forwardingConfig": {
     "$ref": "ManagedZoneForwardingConfig"
    },
    "id": {
     "format": "uint64",
     "type": "string"
    },
    "kind": {
     "default": "dns#managedZone",
     "readOnly": true,
     "type": "string"
    },
    "labels": {
     "additionalProperties": {
      "type": "string"
     },
     "type": "object"
    },
    "name": {
     "type": "string"
    },
    "nameServerSet": {
     "type": "string"
    },
    "nameServers": {
     "items": {
      "type": "string"
     },
     "type": "array"
    },
    "peeringConfig": {
     "$ref": "ManagedZonePeeringConfig"
    },
    "privateVisibilityConfig": {
     "$ref": "ManagedZonePrivateVisibilityConfig"
    },
    "reverseLookupConfig": {
     "$ref": "ManagedZoneReverseLookupConfig"
    },
    "serviceDirectoryConfig": {
     "$ref": "ManagedZoneServiceDirectoryConfig"
    },
    "visibility": {
     "enum": [
      "public",
      "private"
     ],
     "type": "string"
    }
   },
   "type": "object"
  },
  "ManagedZoneCloudLoggingConfig": {
   "id": "ManagedZoneCloudLoggingConfig",
   "properties": {
    "enableLogging": {
     "type": "boolean"
    },
    "kind": {
     "default": "dns#managedZoneCloudLoggingConfig",
     "readOnly": true,
     "type": "string"
    }
   },
   "type": "object"
  },
  "ManagedZoneDnsSecConfig": {
   "id": "ManagedZoneDnsSecConfig",
   "properties": {
    "defaultKeySpecs": {
     "items": {
      "$ref": "DnsKeySpec"
     },
     "type": "array"
    },
    "kind": {
     "default": "dns#managedZoneDnsSecConfig",
     "readOnly": true,
     "type": "string"
    },
    "nonExistence": {
     "enum": [
      "nsec",
      "nsec3"
     ],
     "type": "string"
    },
    "state": {
     "enum": [
      "off",
      "on",
      "transfer"
     ],
     "type": "string"
    }
   },
   "type": "object"
  },
  "ManagedZoneForwardingConfig": {
   "id": "ManagedZoneForwardingConfig",
   "properties": {
    "kind": {
     "default": "dns#managedZoneForwardingConfig",
     "readOnly": true,
     "type": "string"
    },
    "outboundEndpoints": {
     "items": {
      "$ref": "ManagedZoneForwardingConfigOutboundEndpoint"
     },
     "type": "array"
    },
    "targetNameServers": {
     "items": {
      "$ref": "ManagedZoneForwardingConfigNameServerTarget"
     },
     "type": "array"
    }
   },
   "type": "object"
  },
  "ManagedZoneForwardingConfigNameServerTarget": {
   "id": "ManagedZoneForwardingConfigNameServerTarget",
   "properties": {
    "domainName": {
     "type": "string"
    },
    "forwardingPath": {
     "enum": [
      "default",
      "private"
     ],
     "type": "string"
    },
    "ipv4Address": {
     "type": "string"
    },
    "ipv6Address": {
     "type": "string"
    },
    "kind": {
     "default": "dns#managedZoneForwardingConfigNameServerTarget",
     "readOnly": true,
     "type": "string"
    }
   },
   "type": "object"
  },
  "ManagedZoneForwardingConfigOutboundEndpoint": {
   "id": "ManagedZoneForwardingConfigOutboundEndpoint",
   "properties": {
    "kind": {
     "default": "dns#managedZoneForwardingConfigOutboundEndpoint",
     "readOnly": true,
     "type": "string"
    },
    "name": {
     "type": "string"
    }
   },
   "type": "object"
  },
  "ManagedZonePeeringConfig": {
   "id": "ManagedZonePeeringConfig",
   "properties": {
    "kind": {
     "default": "dns#managedZonePeeringConfig",
     "readOnly": true,
     "type": "string"
    },
    "targetNetwork": {
     "$ref": "ManagedZonePeeringConfigTargetNetwork"
    }
   },
   "type": "object"
  },
  "ManagedZonePeeringConfigTargetNetwork": {
   "id": "ManagedZonePeeringConfigTargetNetwork",
   "properties": {
    "deactivateTime": {
     "type": "string"
    },
    "kind": {
     "default": "dns#managedZonePeeringConfigTargetNetwork",
     "readOnly": true,
     "type": "string"
    },
    "networkUrl": {
     "type": "string"
    }
   },
   "type": "object"
  },
  "ManagedZonePrivateVisibilityConfig": {
   "id": "ManagedZonePrivateVisibilityConfig",
   "properties": {
    "gkeClusters": {
     "items": {
      "$ref": "ManagedZonePrivateVisibilityConfigGKECluster"
     },
     "type": "array"
    },
    "kind": {
     "default": "dns#managedZonePrivateVisibilityConfig",
     "readOnly": true,
     "type": "string"
    },
    "networks": {
     "items": {
      "$ref": "ManagedZonePrivateVisibilityConfigNetwork"
     },
     "type": "array"
    }
   },
   "type": "object"
  },
  "ManagedZonePrivateVisibilityConfigGKECluster": {
   "id": "ManagedZonePrivateVisibilityConfigGKECluster",
   "properties": {
    "gkeClusterName": {
     "type": "string"
    },
    "kind": {
     "default": "dns#managedZonePrivateVisibilityConfigGKECluster",
     "readOnly": true,
     "type": "string"
    }
   },
   "type": "object"
  },
  "ManagedZonePrivateVisibilityConfigNetwork": {
   "id": "ManagedZonePrivateVisibilityConfigNetwork",
   "properties": {
    "kind": {
     "default": "dns#managedZonePrivateVisibilityConfigNetwork",
     "readOnly": true,
     "type": "string"
    },
    "networkUrl": {
     "type": "string"
    }
   },
   "type": "object"
  },
  "ManagedZoneReverseLookupConfig": {
   "id": "ManagedZoneReverseLookupConfig",
   "properties": {
    "kind": {
     "default": "dns#managedZoneReverseLookupConfig",
     "readOnly": true,
     "type": "string"
    }
   },
   "type": "object"
  },
  "ManagedZoneServiceDirectoryConfig": {
   "id": "ManagedZoneServiceDirectoryConfig",
   "properties": {
    "kind": {
     "default": "dns#managedZoneServiceDirectoryConfig",
     "readOnly": true,
     "type": "string"
    },
    "namespace": {
     "$ref": "ManagedZoneServiceDirectoryConfigNamespace"
    }
   },
   "type": "object"
  },
  "ManagedZoneServiceDirectoryConfigNamespace": {
   "id": "ManagedZoneServiceDirectoryConfigNamespace",
   "properties": {
    "deletionTime": {
     "type": "string"
    },
    "kind": {
     "default": "dns#managedZoneServiceDirectoryConfigNamespace",
     "readOnly": true,
     "type": "string"
    },
    "namespaceUrl": {
     "type": "string"
    }
   },
   "type": "object"
  },
  "RRSetRoutingPolicy": {
   "id": "RRSetRoutingPolicy",
   "properties": {
    "geo": {
     "$ref": "RRSetRoutingPolicyGeoPolicy"
    },
    "healthCheck": {
     "type": "string"
    },
    "kind": {
     "default": "dns#rRSetRoutingPolicy",
     "readOnly": true,
     "type": "string"
    },
    "primaryBackup": {
     "$ref": "RRSetRoutingPolicyPrimaryBackupPolicy"
    },
    "wrr": {
     "$ref": "RRSetRoutingPolicyWrrPolicy"
    }
   },
   "type": "object"
  },
  "RRSetRoutingPolicyGeoPolicy": {
   "id": "RRSetRoutingPolicyGeoPolicy",
   "properties": {
    "enableFencing": {
     "type": "boolean"
    },
    "items": {
     "items": {
      "$ref": "RRSetRoutingPolicyGeoPolicyGeoPolicyItem"
     },
     "type": "array"
    },
    "kind": {
     "default": "dns#rRSetRoutingPolicyGeoPolicy",
     "readOnly": true,
     "type": "string"
    }
   },
   "type": "object"
  },
  "RRSetRoutingPolicyGeoPolicyGeoPolicyItem": {
   "id": "RRSetRoutingPolicyGeoPolicyGeoPolicyItem",
   "properties": {
    "healthCheckedTargets": {
     "$ref": "RRSetRoutingPolicyHealthCheckTargets"
    },
    "kind": {
     "default": "dns#rRSetRoutingPolicyGeoPolicyGeoPolicyItem",
     "readOnly": true,
     "type": "string"
    },
    "location": {
     "type": "string"
    },
    "rrdatas": {
     "items": {
      "type": "string"
     },
     "type": "array"
    },
    "signatureRrdatas": {
     "items": {
      "type": "string"
     },
     "type": "array"
    }
   },
   "type": "object"
  },
  "RRSetRoutingPolicyHealthCheckTargets": {
   "id": "RRSetRoutingPolicyHealthCheckTargets",
   "properties": {
    "externalEndpoints": {
     "items": {
      "type": "string"
     },
     "type": "array"
    },
    "internalLoadBalancers": {
     "items": {
      "$ref": "RRSetRoutingPolicyLoadBalancerTarget"
     },
     "type": "array"
    }
   },
   "type": "object"
  },
  "RRSetRoutingPolicyLoadBalancerTarget": {
   "id": "RRSetRoutingPolicyLoadBalancerTarget",
   "properties": {
    "ipAddress": {
     "type": "string"
    },
    "ipProtocol": {
     "enum": [
      "undefined",
      "tcp",
      "udp"
     ],
     "type": "string"
    },
    "kind": {
     "default": "dns#rRSetRoutingPolicyLoadBalancerTarget",
     "readOnly": true,
     "type": "string"
    },
    "loadBalancerType": {
     "enum": [
      "none",
      "globalL7ilb",
      "regionalL4ilb",
      "regionalL7ilb"
     ],
     "type": "string"
    },
    "networkUrl": {
     "type": "string"
    },
    "port": {
     "type": "string"
    },
    "project": {
     "type": "string"
    },
    "region": {
     "type": "string"
    }
   },
   "type": "object"
  },
  "RRSetRoutingPolicyPrimaryBackupPolicy": {
   "id": "RRSetRoutingPolicyPrimaryBackupPolicy",
   "properties": {
    "backupGeoTargets": {
     "$ref": "RRSetRoutingPolicyGeoPolicy"
    },
    "kind": {
     "default": "dns#rRSetRoutingPolicyPrimaryBackupPolicy",
     "readOnly": true,
     "type": "string"
    },
    "primaryTargets": {
     "$ref": "RRSetRoutingPolicyHealthCheckTargets"
    },
    "trickleTraffic": {
     "format": "double",
     "type": "number"
    }
   },
   "type": "object"
  },
  "RRSetRoutingPolicyWrrPolicy": {
   "id": "RRSetRoutingPolicyWrrPolicy",
   "properties": {
    "items": {
     "items": {
      "$ref": "RRSetRoutingPolicyWrrPolicyWrrPolicyItem"
     },
     "type": "array"
    },
    "kind": {
     "default": "dns#rRSetRoutingPolicyWrrPolicy",
     "readOnly": true,
     "type": "string"
    }
   },
   "type": "object"
  },
  "RRSetRoutingPolicyWrrPolicyWrrPolicyItem": {
   "id": "RRSetRoutingPolicyWrrPolicyWrrPolicyItem",
   "properties": {
    "healthCheckedTargets": {
     "$ref": "RRSetRoutingPolicyHealthCheckTargets"
    },
    "kind": {
     "default": "dns#rRSetRoutingPolicyWrrPolicyWrrPolicyItem",
     "readOnly": true,
     "type": "string"
    },
    "rrdatas": {
     "items": {
      "type": "string"
     },
     "type": "array"
    },
    "signatureRrdatas": {
     "items": {
      "type": "string"
     },
     "type": "array"
    },
    "weight": {
     "format": "double",
     "type": "number"
    }
   },
   "type": "object"
  },
  "ResourceRecordSet": {
   "id": "ResourceRecordSet",
   "properties": {
    "kind": {
     "default": "dns#resourceRecordSet",
     "readOnly": true,
     "type": "string"
    },
    "name": {
     "type": "string"
    },
    "routingPolicy": {
     "$ref": "RRSetRoutingPolicy"
    },
    "rrdatas": {
     "items": {
      "type": "string"
     },
     "type": "array"
    },
    "signatureRrdatas": {
     "items": {
      "type": "string"
     },
     "type": "array"
    },
    "ttl": {
     "format": "int32",
     "type": "integer"
    },
    "type": {
     "type": "string"
    }
   },
   "type": "object"
  },
  "ResourceRecordSetsListResponse": {
   "id": "ResourceRecordSetsListResponse",
   "properties": {
    "kind": {
     "default": "dns#resourceRecordSetsListResponse",
     "readOnly": true,
     "type": "string"
    },
    "nextPageToken": {
     "type": "string"
    },
    "rrsets": {
     "items": {
      "$ref": "ResourceRecordSet"
     },
     "type": "array"
    }
   },
   "type": "object"
  }
 },
 "servicePath": "",
 "version": "v1",
 "x-source": {
  "etag": null,
  "file": "googleapiclient/discovery_cache/documents/dns.v1.json",
  "package": "google-api-python-client",
  "revision": "20261009",
  "sha256": "1953f49087338e0373f6dd89b335cd189e1a2cec451f88485ecb9f678af4167e",
  "trimmed to": [
   "managedZones.get",
   "resourceRecordSets.list",
   "changes.create",
   "changes.get"
  ],
  "version": "2.202.0"
 }
}
""")
