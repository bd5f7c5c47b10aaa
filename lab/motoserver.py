"""moto's server for the lab, with its EC2 and STS code imported while it starts.

moto imports a service's code on that service's first request, holding a lock every other
request waits on; for EC2 that takes seconds (it builds boto3 sessions to list regions).
Run as ``python -m lab.motoserver -H 127.0.0.1 -p PORT`` (moto.server's own arguments), the
imports start in a background thread at once, so they overlap moto's own start instead of
stalling the lab's first Route 53 calls and failover's first control-plane probe.
"""

from __future__ import annotations

import sys
import threading

REGION = "us-east-1"  # the lab's


def _warm() -> None:
    from moto.backends import get_backend
    from moto.core import DEFAULT_ACCOUNT_ID

    get_backend("sts")  # imports the service's models and responses
    # EC2's too, and its regional backend (default VPC, subnets, ...), made under moto's lock.
    get_backend("ec2")[DEFAULT_ACCOUNT_ID][REGION]


def main(argv: list[str] | None = None) -> None:
    from lab import motodomains, motofix

    motofix.apply()
    motodomains.allow_lab_tld()
    threading.Thread(target=_warm, name="warm", daemon=True).start()
    from moto.server import main as serve

    serve(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
