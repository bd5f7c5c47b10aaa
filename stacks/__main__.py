"""Pulumi's entry point for every stack in this folder; the program is ``program.py``."""

import sys
from pathlib import Path

# infra/ is not an installed package: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stacks.program import main

main()
