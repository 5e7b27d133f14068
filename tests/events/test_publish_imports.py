"""publish() queues webhooks, and the webhooks package's endpoint rules publish their own events:
the two import each other, so either must import first, in a fresh interpreter."""
import subprocess
import sys

import pytest


@pytest.mark.parametrize("first", ["ideas.events.publish", "ideas.webhooks", "ideas.webhooks.endpoints"])
def test_publish_and_the_webhooks_package_import_in_either_order(first):
    code = f"import {first}; import ideas.events.publish, ideas.webhooks"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
