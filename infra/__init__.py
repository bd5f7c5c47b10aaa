"""Pulumi component resources: the service, described once, on several independent vendors.

``service`` holds the provider-neutral description and the startup script;
``hosting`` the output shape every hosting exports; one module per vendor
kind (``aws``, ``gcp``, ``hetzner``, ``metal``); ``dns`` the zones at two DNS
vendors; ``backup`` a bucket per cloud vendor; ``watcher`` the etcd member
and watcher on each machine, ``etcdstart`` how that member starts (and
rejoins), ``volume`` the data volume that outlives a cloud machine. Import the module you need:
each pulls in its vendor's SDK. The programs that use them are in ``stacks/``.
"""
