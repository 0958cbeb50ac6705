#!/bin/sh
# A broken script: prints data lines in configuration mode and exits 0.
echo "M1 5"
echo "M2 6"
