"""RSS read from /proc/<pid>/status: the fields memory.py reports, in KiB."""

from __future__ import annotations

import sys

import pytest
from proc_memory import parse_status, resident_kib

STATUS = """Name:\tpython
VmPeak:\t  900000 kB
VmHWM:\t  530000 kB
VmRSS:\t  528700 kB
RssAnon:\t  412000 kB
RssFile:\t  116692 kB
RssShmem:\t       8 kB
Threads:\t3
"""


def test_parse_status_takes_the_rss_fields():
    assert parse_status(STATUS) == {"VmHWM": 530000, "VmRSS": 528700, "RssAnon": 412000, "RssFile": 116692,
                                    "RssShmem": 8}


def test_a_unit_other_than_kb_is_refused():
    with pytest.raises(ValueError):
        parse_status("VmRSS:\t 12 MB\n")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_this_process_rss_adds_up():
    rss = resident_kib()
    assert rss["VmRSS"] > 0
    assert rss["VmRSS"] == rss["RssAnon"] + rss["RssFile"] + rss["RssShmem"]
