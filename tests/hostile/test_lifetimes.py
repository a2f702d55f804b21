"""Process lifetimes: ``run.py viz`` stopped by any signal takes its server with it.

A supervisor's SIGTERM, a closed terminal's SIGHUP and Ctrl-C's SIGINT all stop the
Solara server ``run.py viz`` started (its own process group), so nothing is left
answering on the port.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest
from test_arguments import ROOT


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_a_stopped_viz_leaves_no_server_behind(signum):
    viz = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "viz", "--port", "0"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = re.search(r"http://\S+/", viz.stdout.readline()).group(0)
        deadline = time.monotonic() + 120
        while not answers(url):
            assert viz.poll() is None and time.monotonic() < deadline, "run.py viz never answered"
            time.sleep(0.3)
        server = psutil.Process(viz.pid).children(recursive=True)
        assert server, "the Solara server runs as a child of run.py viz"
        viz.send_signal(signum)
        code = viz.wait(timeout=30)
        assert code == (0 if signum == signal.SIGINT else 128 + signum)
        gone, alive = psutil.wait_procs(server, timeout=15)
        assert not alive, [p.cmdline() for p in alive]
        assert not answers(url)
    finally:
        for p in psutil.Process(viz.pid).children(recursive=True) if viz.poll() is None else []:
            p.kill()
        viz.kill()
        viz.wait()
