#!/usr/bin/env python
"""Django's command-line utility; `trialsite` is the same with a friendlier name."""

from trialsite.cli import main

if __name__ == "__main__":
    main()
