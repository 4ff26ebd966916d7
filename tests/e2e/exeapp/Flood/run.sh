#!/bin/sh
# Flood: prints 100 MB (the output cap must stop it).
head -c 100000000 /dev/zero | tr "\\000" x
