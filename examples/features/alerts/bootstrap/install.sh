#!/bin/bash
# Installs the Python libraries the jobs need.
set -euo pipefail
sudo python3 -m pip install ${1:+"$1"} requests
