"""Browser fixtures: Debian's chromium driven by Playwright (architecture §3), axe-core checks.

The browser is never downloaded (no `playwright install`): it is `/usr/bin/chromium` from
`apt-get install -y chromium`. In CI (`CI=true`) a missing chromium fails the run; on a
workstation it skips the browser tests with the command that installs it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CARELOOP_CHROMIUM", "/usr/bin/chromium"))
# Without these, chromium on the closed network spends time on (and logs errors about)
# update checks, sync, QUIC probes and the GPU process.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    message = f"{CHROMIUM} not found: install Debian's browser with `apt-get install -y chromium`"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI must install it; browser tests never skip in CI)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    """One chromium for the whole session.

    Playwright's sync API keeps an asyncio loop running in the main thread, and Django
    refuses ORM calls from a thread with a running loop (SynchronousOnlyOperation). The
    test code is synchronous, so Django's guard is lifted while Playwright runs.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[[], Any]]:
    """Pages in fresh browser contexts (one signed-in user each), closed after the test."""
    contexts: list[Any] = []

    def _new_page() -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """`test-artifacts/` at the repository root (git-ignored): screenshots and axe reports."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def password(request: pytest.FixtureRequest) -> str:
    """The shared cast's PASSWORD (tests/conftest.py).

    Both conftest files are top-level modules named `conftest`, so the root one cannot be
    imported by name from here; pytest keeps it registered as a plugin under its path.
    """
    root = (Path(__file__).resolve().parents[1] / "conftest.py").resolve()
    for plugin in request.config.pluginmanager.get_plugins():
        file = getattr(plugin, "__file__", None)
        if file and Path(file).resolve() == root:
            return str(plugin.PASSWORD)
    pytest.fail(f"the shared cast's conftest {root} is not loaded")


class AxeFindings:
    """axe-core on each screen: every violation printed, serious and critical ones collected.

    The test asserts at its end, so one page's violation does not hide the next page's.
    """

    def __init__(self, artifacts: Path) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self._axe = Axe()
        self._artifacts = artifacts
        self.blocking: dict[str, list[str]] = {}

    def check(self, page: Any, screen: str) -> list[dict[str, Any]]:
        results = self._axe.run(page)
        violations = results.response["violations"]
        assert results.response["passes"], f"axe-core checked nothing on {screen} ({page.url})"
        (self._artifacts / f"axe-{screen}.json").write_text(json.dumps(violations, indent=2))
        print(f"\naxe on {screen} ({page.url}): {len(violations)} violation(s)")
        for v in violations:
            targets = "; ".join(" ".join(n["target"]) for n in v["nodes"])
            print(
                f"  [{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} node(s)): {targets}"
            )
            if v["impact"] in BLOCKING_IMPACTS:
                for node in v["nodes"]:
                    self.blocking.setdefault(screen, []).append(
                        f"{v['id']} ({v['impact']}) at {' '.join(node['target'])}: "
                        f"{node.get('failureSummary', '').strip()} -- {node['html'][:160]}"
                    )
        return violations

    def report(self) -> str:
        lines = ["serious/critical axe-core violations (see test-artifacts/axe-*.json):"]
        for screen, items in self.blocking.items():
            lines.append(f"{screen}:")
            lines.extend(f"  - {item}" for item in items)
        return "\n".join(lines)


@pytest.fixture
def axe(artifacts: Path) -> AxeFindings:
    return AxeFindings(artifacts)
