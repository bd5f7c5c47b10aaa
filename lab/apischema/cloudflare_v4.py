"""Cloudflare v4: the six operations failover and the lab's stand-in use, transcribed by hand.

Written, not copied: fetched material is not committed here, so this is our own
transcription of the parts we use, read from Cloudflare's published descriptions
(``x-source`` below names each). Field names, types, ``required`` lists, enums and
``additionalProperties`` are kept as the source states them; descriptions and examples are
left out, and so are the record types failover never writes (the document's ``oneOf`` of
twenty record types is cut to A, AAAA, CNAME and TXT).

Five operations come from the OpenAPI document itself; the batch operation is not in any
version of that document this workplace can read, so it is transcribed from Cloudflare's
Python SDK, which Stainless generates from a later version of the same document.
:mod:`lab.apischema.trim_cloudflare` extracts the same view from an ``openapi.json`` for
comparison (tests/unit/test_apischema.py, with ``FAILOVER_CF_OPENAPI``).

The text is JSON inside a module, not a ``.json`` file beside it, so that the wheel carries
it without a package-data entry (tests/unit/test_wheel.py wants every ``.json`` under
``lab/`` in the wheel).
"""

from __future__ import annotations

import json
from typing import Any

DOCUMENT: dict[str, Any] = json.loads(r"""
{
  "x-source": {
    "document": {
      "repository": "cloudflare/api-schemas",
      "path": "openapi.json",
      "commit": "cca3064f1aba08cc6cef52fc7b3d3064a9eafcc9",
      "date": "2024-08-06",
      "openapi": "3.0.3",
      "info.version": "4.0.0",
      "why this commit": ["the newest version of openapi.json readable here: later versions",
                          "are over 4 MiB, which the repository snapshot and the code index",
                          "both leave out"]
    },
    "batch": {
      "repository": "cloudflare/cloudflare-python",
      "ref": "next",
      "commit": "087d706c8531f3a188f719316685554ff945d48a",
      "date": "2025-07-11",
      "files": [
        "src/cloudflare/types/dns/record_batch_params.py",
        "src/cloudflare/types/dns/batch_patch_param.py",
        "src/cloudflare/types/dns/batch_put_param.py",
        "src/cloudflare/types/dns/a_record_param.py",
        "src/cloudflare/types/dns/aaaa_record_param.py",
        "src/cloudflare/types/dns/cname_record_param.py",
        "src/cloudflare/types/dns/txt_record_param.py",
        "src/cloudflare/types/dns/ttl_param.py",
        "src/cloudflare/types/dns/record_batch_response.py",
        "src/cloudflare/types/dns/record_response.py",
        "src/cloudflare/types/dns/a_record.py"
      ],
      "generated from": "the OpenAPI document whose .stats.yml hash is 3e0f59ac27220289",
      "note": ["a TypedDict field marked Required[...] is transcribed into 'required';",
               "Union[...] into oneOf; Literal[...] into enum; float into number. The SDK",
               "does not show additionalProperties, maxLength or numeric bounds, so none",
               "are transcribed for the batch's own schemas"]
    },
    "record types kept": ["A", "AAAA", "CNAME", "TXT"]
  },
  "operations": {
    "zones-0-get": {
      "method": "GET",
      "path": "/zones/{zone_id}",
      "from": "document",
      "parameters": [
        {"in": "path", "name": "zone_id", "required": true,
         "schema": {"$ref": "#/components/schemas/zones_identifier"}}
      ],
      "responses": {
        "200": {"allOf": [
          {"$ref": "#/components/schemas/zones_api-response-common"},
          {"type": "object", "properties": {"result": {"$ref": "#/components/schemas/zones_zone"}}}
        ]},
        "4XX": {"$ref": "#/components/schemas/zones_api-response-common-failure"}
      },
      "x-error-envelope": "zones_api-response-common-failure"
    },
    "dns-records-for-a-zone-list-dns-records": {
      "method": "GET",
      "path": "/zones/{zone_id}/dns_records",
      "from": "document",
      "parameters": [
        {"in": "path", "name": "zone_id", "required": true,
         "schema": {"$ref": "#/components/schemas/dns-records_identifier"}},
        {"in": "query", "name": "name",
         "schema": {"$ref": "#/components/schemas/dns-records_name"}},
        {"in": "query", "name": "type",
         "schema": {"$ref": "#/components/schemas/dns-records_type"}},
        {"in": "query", "name": "content",
         "schema": {"$ref": "#/components/schemas/dns-records_content"}},
        {"in": "query", "name": "proxied",
         "schema": {"$ref": "#/components/schemas/dns-records_proxied"}},
        {"in": "query", "name": "match",
         "schema": {"$ref": "#/components/schemas/dns-records_match"}},
        {"in": "query", "name": "comment", "schema": {"type": "string"}},
        {"in": "query", "name": "comment.present", "schema": {"type": "string"}},
        {"in": "query", "name": "comment.absent", "schema": {"type": "string"}},
        {"in": "query", "name": "comment.exact", "schema": {"type": "string"}},
        {"in": "query", "name": "comment.contains", "schema": {"type": "string"}},
        {"in": "query", "name": "comment.startswith", "schema": {"type": "string"}},
        {"in": "query", "name": "comment.endswith", "schema": {"type": "string"}},
        {"in": "query", "name": "tag", "schema": {"type": "string"}},
        {"in": "query", "name": "tag.present", "schema": {"type": "string"}},
        {"in": "query", "name": "tag.absent", "schema": {"type": "string"}},
        {"in": "query", "name": "tag.exact", "schema": {"type": "string"}},
        {"in": "query", "name": "tag.contains", "schema": {"type": "string"}},
        {"in": "query", "name": "tag.startswith", "schema": {"type": "string"}},
        {"in": "query", "name": "tag.endswith", "schema": {"type": "string"}},
        {"in": "query", "name": "search",
         "schema": {"$ref": "#/components/schemas/dns-records_search"}},
        {"in": "query", "name": "tag_match",
         "schema": {"$ref": "#/components/schemas/dns-records_tag_match"}},
        {"in": "query", "name": "page",
         "schema": {"$ref": "#/components/schemas/dns-records_page"}},
        {"in": "query", "name": "per_page",
         "schema": {"$ref": "#/components/schemas/dns-records_per_page"}},
        {"in": "query", "name": "order",
         "schema": {"$ref": "#/components/schemas/dns-records_order"}},
        {"in": "query", "name": "direction",
         "schema": {"$ref": "#/components/schemas/dns-records_direction"}}
      ],
      "responses": {
        "200": {"$ref": "#/components/schemas/dns-records_dns_response_collection"},
        "4xx": {"allOf": [
          {"$ref": "#/components/schemas/dns-records_dns_response_collection"},
          {"$ref": "#/components/schemas/dns-records_api-response-common-failure"}
        ]}
      },
      "x-error-envelope": "dns-records_api-response-common-failure"
    },
    "dns-records-for-a-zone-create-dns-record": {
      "method": "POST",
      "path": "/zones/{zone_id}/dns_records",
      "from": "document",
      "parameters": [
        {"in": "path", "name": "zone_id", "required": true,
         "schema": {"$ref": "#/components/schemas/dns-records_identifier"}}
      ],
      "requestBody": {"required": true,
                      "schema": {"$ref": "#/components/schemas/dns-records_dns-record"}},
      "responses": {
        "200": {"$ref": "#/components/schemas/dns-records_dns_response_single"},
        "4xx": {"allOf": [
          {"$ref": "#/components/schemas/dns-records_dns_response_single"},
          {"$ref": "#/components/schemas/dns-records_api-response-common-failure"}
        ]}
      },
      "x-error-envelope": "dns-records_api-response-common-failure"
    },
    "dns-records-for-a-zone-patch-dns-record": {
      "method": "PATCH",
      "path": "/zones/{zone_id}/dns_records/{dns_record_id}",
      "from": "document",
      "parameters": [
        {"in": "path", "name": "dns_record_id", "required": true,
         "schema": {"$ref": "#/components/schemas/dns-records_identifier"}},
        {"in": "path", "name": "zone_id", "required": true,
         "schema": {"$ref": "#/components/schemas/dns-records_identifier"}}
      ],
      "requestBody": {"required": true,
                      "schema": {"$ref": "#/components/schemas/dns-records_dns-record"}},
      "responses": {
        "200": {"$ref": "#/components/schemas/dns-records_dns_response_single"},
        "4xx": {"allOf": [
          {"$ref": "#/components/schemas/dns-records_dns_response_single"},
          {"$ref": "#/components/schemas/dns-records_api-response-common-failure"}
        ]}
      },
      "x-error-envelope": "dns-records_api-response-common-failure"
    },
    "dns-records-for-a-zone-delete-dns-record": {
      "method": "DELETE",
      "path": "/zones/{zone_id}/dns_records/{dns_record_id}",
      "from": "document",
      "parameters": [
        {"in": "path", "name": "dns_record_id", "required": true,
         "schema": {"$ref": "#/components/schemas/dns-records_identifier"}},
        {"in": "path", "name": "zone_id", "required": true,
         "schema": {"$ref": "#/components/schemas/dns-records_identifier"}}
      ],
      "requestBody": {"required": true, "schema": {}},
      "responses": {
        "200": {"type": "object", "properties": {"result": {"properties": {
          "id": {"$ref": "#/components/schemas/dns-records_identifier"}}}}},
        "4xx": {"allOf": [
          {"type": "object", "properties": {"result": {"properties": {
            "id": {"$ref": "#/components/schemas/dns-records_identifier"}}}}},
          {"$ref": "#/components/schemas/dns-records_api-response-common-failure"}
        ]}
      },
      "x-error-envelope": "dns-records_api-response-common-failure"
    },
    "dns-records-for-a-zone-batch-dns-records": {
      "method": "POST",
      "path": "/zones/{zone_id}/dns_records/batch",
      "from": "batch",
      "parameters": [
        {"in": "path", "name": "zone_id", "required": true,
         "schema": {"$ref": "#/components/schemas/dns-records_identifier"}}
      ],
      "requestBody": {"required": true,
                      "schema": {"$ref": "#/components/schemas/x-sdk_RecordBatchParams"}},
      "responses": {
        "200": {"allOf": [
          {"$ref": "#/components/schemas/dns-records_api-response-common"},
          {"type": "object", "properties": {
            "result": {"$ref": "#/components/schemas/x-sdk_RecordBatchResponse"}}}
        ]}
      },
      "x-error-envelope": "dns-records_api-response-common-failure"
    }
  },
  "components": {
    "schemas": {
      "zones_identifier": {"type": "string", "maxLength": 32},
      "zones_messages": {
        "type": "array",
        "items": {
          "type": "object",
          "properties": {"code": {"type": "integer", "minimum": 1000},
                         "message": {"type": "string"}},
          "required": ["code", "message"],
          "uniqueItems": true
        }
      },
      "zones_api-response-common": {
        "type": "object",
        "properties": {
          "errors": {"$ref": "#/components/schemas/zones_messages"},
          "messages": {"$ref": "#/components/schemas/zones_messages"},
          "success": {"type": "boolean"}
        },
        "required": ["success", "errors", "messages"]
      },
      "zones_api-response-common-failure": {
        "type": "object",
        "properties": {
          "errors": {"allOf": [{"$ref": "#/components/schemas/zones_messages"}], "minLength": 1},
          "messages": {"allOf": [{"$ref": "#/components/schemas/zones_messages"}]},
          "result": {"type": "object", "nullable": true},
          "success": {"type": "boolean"}
        },
        "required": ["success", "errors", "messages", "result"]
      },
      "zones_zone": {
        "type": "object",
        "properties": {
          "account": {"type": "object", "properties": {
            "id": {"$ref": "#/components/schemas/zones_identifier"},
            "name": {"type": "string"}}},
          "activated_on": {"type": "string", "format": "date-time", "nullable": true,
                           "readOnly": true},
          "created_on": {"type": "string", "format": "date-time", "readOnly": true},
          "development_mode": {"type": "number", "readOnly": true},
          "id": {"$ref": "#/components/schemas/zones_identifier"},
          "meta": {"type": "object", "properties": {
            "cdn_only": {"type": "boolean"},
            "custom_certificate_quota": {"type": "integer"},
            "dns_only": {"type": "boolean"},
            "foundation_dns": {"type": "boolean"},
            "page_rule_quota": {"type": "integer"},
            "phishing_detected": {"type": "boolean"},
            "step": {"type": "integer"}}},
          "modified_on": {"type": "string", "format": "date-time", "readOnly": true},
          "name": {"type": "string", "maxLength": 253,
                   "pattern": "^([a-zA-Z0-9][\\-a-zA-Z0-9]*\\.)+[\\-a-zA-Z0-9]{2,20}$"},
          "name_servers": {"type": "array", "items": {"type": "string", "format": "hostname"},
                           "readOnly": true},
          "original_dnshost": {"type": "string", "maxLength": 50, "nullable": true,
                               "readOnly": true},
          "original_name_servers": {"type": "array",
                                    "items": {"type": "string", "format": "hostname"},
                                    "nullable": true, "readOnly": true},
          "original_registrar": {"type": "string", "nullable": true, "readOnly": true},
          "owner": {"type": "object", "properties": {
            "id": {"$ref": "#/components/schemas/zones_identifier"},
            "name": {"type": "string"},
            "type": {"type": "string"}}},
          "vanity_name_servers": {"type": "array",
                                  "items": {"type": "string", "format": "hostname",
                                            "maxLength": 253}}
        },
        "required": ["id", "name", "development_mode", "owner", "account", "meta",
                     "name_servers", "original_name_servers", "original_registrar",
                     "original_dnshost", "created_on", "modified_on", "activated_on"]
      },
      "dns-records_identifier": {"type": "string", "maxLength": 32},
      "dns-records_name": {"type": "string", "maxLength": 255},
      "dns-records_type": {
        "type": "string",
        "enum": ["A", "AAAA", "CAA", "CERT", "CNAME", "DNSKEY", "DS", "HTTPS", "LOC", "MX",
                 "NAPTR", "NS", "PTR", "SMIMEA", "SRV", "SSHFP", "SVCB", "TLSA", "TXT", "URI"]
      },
      "dns-records_content": {"type": "string"},
      "dns-records_proxied": {"type": "boolean"},
      "dns-records_match": {"type": "string", "enum": ["any", "all"]},
      "dns-records_search": {"type": "string"},
      "dns-records_tag_match": {"type": "string", "enum": ["any", "all"]},
      "dns-records_page": {"type": "number", "minimum": 1},
      "dns-records_per_page": {"type": "number", "minimum": 1, "maximum": 5000000},
      "dns-records_order": {"type": "string",
                            "enum": ["type", "name", "content", "ttl", "proxied"]},
      "dns-records_direction": {"type": "string", "enum": ["asc", "desc"]},
      "dns-records_comment": {"type": "string"},
      "dns-records_tags": {"type": "array", "items": {"type": "string"}},
      "dns-records_ttl": {
        "type": "number",
        "anyOf": [
          {"type": "number", "minimum": 30, "maximum": 86400},
          {"type": "number", "enum": [1]}
        ]
      },
      "dns-records_messages": {
        "type": "array",
        "items": {
          "type": "object",
          "properties": {"code": {"type": "integer", "minimum": 1000},
                         "message": {"type": "string"}},
          "required": ["code", "message"],
          "uniqueItems": true
        }
      },
      "dns-records_api-response-common": {
        "type": "object",
        "properties": {
          "errors": {"$ref": "#/components/schemas/dns-records_messages"},
          "messages": {"$ref": "#/components/schemas/dns-records_messages"},
          "success": {"type": "boolean", "enum": [true]}
        },
        "required": ["success", "errors", "messages"]
      },
      "dns-records_api-response-common-failure": {
        "type": "object",
        "properties": {
          "errors": {"allOf": [{"$ref": "#/components/schemas/dns-records_messages"}],
                     "minLength": 1},
          "messages": {"allOf": [{"$ref": "#/components/schemas/dns-records_messages"}]},
          "result": {"type": "object", "enum": [null], "nullable": true},
          "success": {"type": "boolean", "enum": [false]}
        },
        "required": ["success", "errors", "messages", "result"]
      },
      "dns-records_result_info": {
        "type": "object",
        "properties": {
          "count": {"type": "number"},
          "page": {"type": "number"},
          "per_page": {"type": "number"},
          "total_count": {"type": "number"}
        }
      },
      "dns-records_api-response-collection": {
        "type": "object",
        "allOf": [
          {"$ref": "#/components/schemas/dns-records_api-response-common"},
          {"properties": {
            "result": {"type": "array", "items": {}, "nullable": true},
            "result_info": {"$ref": "#/components/schemas/dns-records_result_info"}}}
        ]
      },
      "dns-records_api-response-single": {
        "type": "object",
        "allOf": [
          {"$ref": "#/components/schemas/dns-records_api-response-common"},
          {"properties": {"result": {"anyOf": [{"type": "object"}, {"type": "string"}]}}}
        ]
      },
      "dns-records_dns_response_collection": {
        "allOf": [
          {"$ref": "#/components/schemas/dns-records_api-response-collection"},
          {"type": "object", "properties": {
            "result": {"type": "array",
                       "items": {"$ref": "#/components/schemas/dns-records_dns-record"}}}}
        ]
      },
      "dns-records_dns_response_single": {
        "allOf": [
          {"$ref": "#/components/schemas/dns-records_api-response-single"},
          {"type": "object", "properties": {
            "result": {"$ref": "#/components/schemas/dns-records_dns-record"}}}
        ]
      },
      "dns-records_base": {
        "properties": {
          "comment": {"$ref": "#/components/schemas/dns-records_comment"},
          "created_on": {"type": "string", "format": "date-time", "readOnly": true},
          "id": {"$ref": "#/components/schemas/dns-records_identifier"},
          "meta": {"type": "object", "readOnly": true, "properties": {
            "auto_added": {"type": "boolean"},
            "source": {"type": "string"}}},
          "modified_on": {"type": "string", "format": "date-time", "readOnly": true},
          "proxiable": {"type": "boolean", "readOnly": true},
          "tags": {"$ref": "#/components/schemas/dns-records_tags"},
          "ttl": {"$ref": "#/components/schemas/dns-records_ttl"}
        }
      },
      "dns-records_ARecord": {
        "allOf": [
          {"properties": {
            "content": {"type": "string", "format": "ipv4"},
            "name": {"$ref": "#/components/schemas/dns-records_name"},
            "proxied": {"$ref": "#/components/schemas/dns-records_proxied"},
            "type": {"type": "string", "enum": ["A"]}}},
          {"$ref": "#/components/schemas/dns-records_base"}
        ],
        "required": ["type", "name", "content"]
      },
      "dns-records_AAAARecord": {
        "allOf": [
          {"properties": {
            "content": {"type": "string", "format": "ipv6"},
            "name": {"$ref": "#/components/schemas/dns-records_name"},
            "proxied": {"$ref": "#/components/schemas/dns-records_proxied"},
            "type": {"type": "string", "enum": ["AAAA"]}}},
          {"$ref": "#/components/schemas/dns-records_base"}
        ],
        "required": ["type", "name", "content"]
      },
      "dns-records_CNAMERecord": {
        "allOf": [
          {"properties": {
            "content": {},
            "name": {"$ref": "#/components/schemas/dns-records_name"},
            "proxied": {"$ref": "#/components/schemas/dns-records_proxied"},
            "type": {"type": "string", "enum": ["CNAME"]}}},
          {"$ref": "#/components/schemas/dns-records_base"}
        ],
        "required": ["type", "name", "content"]
      },
      "dns-records_TXTRecord": {
        "allOf": [
          {"properties": {
            "content": {"type": "string"},
            "name": {"$ref": "#/components/schemas/dns-records_name"},
            "type": {"type": "string", "enum": ["TXT"]}}},
          {"$ref": "#/components/schemas/dns-records_base"}
        ],
        "required": ["type", "name", "content"]
      },
      "dns-records_dns-record": {
        "type": "object",
        "oneOf": [
          {"$ref": "#/components/schemas/dns-records_ARecord"},
          {"$ref": "#/components/schemas/dns-records_AAAARecord"},
          {"$ref": "#/components/schemas/dns-records_CNAMERecord"},
          {"$ref": "#/components/schemas/dns-records_TXTRecord"}
        ],
        "required": ["id", "type", "name", "content", "proxiable", "created_on", "modified_on"]
      },

      "x-sdk_ttl": {
        "anyOf": [{"type": "number"}, {"type": "number", "enum": [1]}]
      },
      "x-sdk_tags": {"type": "array", "items": {"type": "string"}},
      "x-sdk_settings": {
        "type": "object",
        "properties": {"ipv4_only": {"type": "boolean"}, "ipv6_only": {"type": "boolean"}}
      },
      "x-sdk_ARecordParam": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "ttl": {"$ref": "#/components/schemas/x-sdk_ttl"},
          "type": {"type": "string", "enum": ["A"]},
          "comment": {"type": "string"},
          "content": {"type": "string"},
          "proxied": {"type": "boolean"},
          "settings": {"$ref": "#/components/schemas/x-sdk_settings"},
          "tags": {"$ref": "#/components/schemas/x-sdk_tags"}
        },
        "required": ["name", "ttl", "type"]
      },
      "x-sdk_AAAARecordParam": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "ttl": {"$ref": "#/components/schemas/x-sdk_ttl"},
          "type": {"type": "string", "enum": ["AAAA"]},
          "comment": {"type": "string"},
          "content": {"type": "string"},
          "proxied": {"type": "boolean"},
          "settings": {"$ref": "#/components/schemas/x-sdk_settings"},
          "tags": {"$ref": "#/components/schemas/x-sdk_tags"}
        },
        "required": ["name", "ttl", "type"]
      },
      "x-sdk_CNAMERecordParam": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "ttl": {"$ref": "#/components/schemas/x-sdk_ttl"},
          "type": {"type": "string", "enum": ["CNAME"]},
          "comment": {"type": "string"},
          "content": {"type": "string"},
          "proxied": {"type": "boolean"},
          "settings": {"type": "object", "properties": {
            "flatten_cname": {"type": "boolean"},
            "ipv4_only": {"type": "boolean"},
            "ipv6_only": {"type": "boolean"}}},
          "tags": {"$ref": "#/components/schemas/x-sdk_tags"}
        },
        "required": ["name", "ttl", "type"]
      },
      "x-sdk_TXTRecordParam": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "ttl": {"$ref": "#/components/schemas/x-sdk_ttl"},
          "type": {"type": "string", "enum": ["TXT"]},
          "comment": {"type": "string"},
          "content": {"type": "string"},
          "proxied": {"type": "boolean"},
          "settings": {"$ref": "#/components/schemas/x-sdk_settings"},
          "tags": {"$ref": "#/components/schemas/x-sdk_tags"}
        },
        "required": ["name", "ttl", "type"]
      },
      "x-sdk_with_id": {
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "required": ["id"]
      },
      "x-sdk_BatchPost": {
        "oneOf": [
          {"$ref": "#/components/schemas/x-sdk_ARecordParam"},
          {"$ref": "#/components/schemas/x-sdk_AAAARecordParam"},
          {"$ref": "#/components/schemas/x-sdk_CNAMERecordParam"},
          {"$ref": "#/components/schemas/x-sdk_TXTRecordParam"}
        ]
      },
      "x-sdk_BatchPatch": {
        "oneOf": [
          {"allOf": [{"$ref": "#/components/schemas/x-sdk_ARecordParam"},
                     {"$ref": "#/components/schemas/x-sdk_with_id"}]},
          {"allOf": [{"$ref": "#/components/schemas/x-sdk_AAAARecordParam"},
                     {"$ref": "#/components/schemas/x-sdk_with_id"}]},
          {"allOf": [{"$ref": "#/components/schemas/x-sdk_CNAMERecordParam"},
                     {"$ref": "#/components/schemas/x-sdk_with_id"}]},
          {"allOf": [{"$ref": "#/components/schemas/x-sdk_TXTRecordParam"},
                     {"$ref": "#/components/schemas/x-sdk_with_id"}]}
        ]
      },
      "x-sdk_BatchPut": {
        "oneOf": [
          {"allOf": [{"$ref": "#/components/schemas/x-sdk_ARecordParam"},
                     {"$ref": "#/components/schemas/x-sdk_with_id"}]},
          {"allOf": [{"$ref": "#/components/schemas/x-sdk_AAAARecordParam"},
                     {"$ref": "#/components/schemas/x-sdk_with_id"}]},
          {"allOf": [{"$ref": "#/components/schemas/x-sdk_CNAMERecordParam"},
                     {"$ref": "#/components/schemas/x-sdk_with_id"}]},
          {"allOf": [{"$ref": "#/components/schemas/x-sdk_TXTRecordParam"},
                     {"$ref": "#/components/schemas/x-sdk_with_id"}]}
        ]
      },
      "x-sdk_RecordBatchParams": {
        "type": "object",
        "properties": {
          "deletes": {"type": "array", "items": {"$ref": "#/components/schemas/x-sdk_with_id"}},
          "patches": {"type": "array", "items": {"$ref": "#/components/schemas/x-sdk_BatchPatch"}},
          "posts": {"type": "array", "items": {"$ref": "#/components/schemas/x-sdk_BatchPost"}},
          "puts": {"type": "array", "items": {"$ref": "#/components/schemas/x-sdk_BatchPut"}}
        }
      },
      "x-sdk_response_extra": {
        "type": "object",
        "properties": {
          "id": {"type": "string"},
          "created_on": {"type": "string", "format": "date-time"},
          "meta": {"type": "object"},
          "modified_on": {"type": "string", "format": "date-time"},
          "proxiable": {"type": "boolean"},
          "comment_modified_on": {"type": "string", "format": "date-time"},
          "tags_modified_on": {"type": "string", "format": "date-time"}
        },
        "required": ["id", "created_on", "meta", "modified_on", "proxiable"]
      },
      "x-sdk_RecordResponse": {
        "oneOf": [
          {"allOf": [{"$ref": "#/components/schemas/x-sdk_ARecordParam"},
                     {"$ref": "#/components/schemas/x-sdk_response_extra"}]},
          {"allOf": [{"$ref": "#/components/schemas/x-sdk_AAAARecordParam"},
                     {"$ref": "#/components/schemas/x-sdk_response_extra"}]},
          {"allOf": [{"$ref": "#/components/schemas/x-sdk_CNAMERecordParam"},
                     {"$ref": "#/components/schemas/x-sdk_response_extra"}]},
          {"allOf": [{"$ref": "#/components/schemas/x-sdk_TXTRecordParam"},
                     {"$ref": "#/components/schemas/x-sdk_response_extra"}]}
        ]
      },
      "x-sdk_RecordBatchResponse": {
        "type": "object",
        "properties": {
          "deletes": {"type": "array",
                      "items": {"$ref": "#/components/schemas/x-sdk_RecordResponse"}},
          "patches": {"type": "array",
                      "items": {"$ref": "#/components/schemas/x-sdk_RecordResponse"}},
          "posts": {"type": "array",
                    "items": {"$ref": "#/components/schemas/x-sdk_RecordResponse"}},
          "puts": {"type": "array",
                   "items": {"$ref": "#/components/schemas/x-sdk_RecordResponse"}}
        }
      }
    }
  }
}
""")
