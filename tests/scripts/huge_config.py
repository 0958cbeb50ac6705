#!/usr/bin/env python3
"""Configuration mode prints a document of about 60 MB (300,000 metrics), then creates the file
named by GSP_TEST_DONE: once it exists, gsp has the whole document and is parsing it."""
import os
import sys

if sys.argv[-1] != "-c":
    sys.exit(0)
body = ",".join(
    f'{{"id":{i},"name":"metric {i}","description":"a long enough description of metric {i}",'
    f'"datatype":"DOUBLE","calctype":"Instant","unit":"ms","dimensions":[{{"id":1,"name":"host"}}]}}'
    for i in range(300_000)
)
sys.stdout.write('{"maxruntime":5000,"metrics":[' + body + "]}")
sys.stdout.flush()
open(os.environ["GSP_TEST_DONE"], "w").close()
