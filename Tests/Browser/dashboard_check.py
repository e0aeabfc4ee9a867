"""The dashboard in a real browser (headless Debian chromium, driven by
Playwright), as a release engineer uses it: sign in, watch a build's log
arrive, read an artifact's lineage, deploy it and watch the targets change,
sign out. Screenshots go to --out. Run by the whole-farm suite
(FarmTests.theDashboardInABrowser), which starts the farm, a slow worker
and two deployment agents and passes their ids. Exits 0 when every check
held; otherwise prints what did not and exits 1."""

import argparse
import json
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright, expect

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--token", required=True)
parser.add_argument("--config-version", required=True)
parser.add_argument("--artifact", required=True)
parser.add_argument("--systems", required=True, help="comma-separated system ids")
parser.add_argument("--out", required=True)
parser.add_argument("--chromium", default="/usr/bin/chromium")
args = parser.parse_args()


def api(method, path, body=None):
    request = urllib.request.Request(
        args.url + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": "Bearer " + args.token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]


def wait_until(what, condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds} s")


def shot(page, name):
    page.screenshot(path=f"{args.out}/{name}.png", full_page=True)
    print(f"screenshot {args.out}/{name}.png")


with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=args.chromium, headless=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15_000)

    # Signing in: a page without a session asks for a token, then comes back.
    page.goto(args.url + "/ui/builds")
    expect(page).to_have_url(f"{args.url}/ui/login?next=/ui/builds")
    page.get_by_label("Personal API token").fill("kfarm_not-a-real-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not a valid personal token")
    page.get_by_label("Personal API token").fill(args.token)
    page.get_by_label("Personal API token").press("Enter")
    expect(page).to_have_url(f"{args.url}/ui/builds")
    expect(page.get_by_role("heading", name="Builds", exact=True)).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "kfarm_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie
    assert page.evaluate("document.cookie") == "", "scripts cannot read the session"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content", "the first Tab is the skip link"
    print("signed in")

    # A build while it runs: its log lines arrive without a reload.
    build = api("POST", "/builds", {"configVersionId": args.config_version})
    page.goto(f"{args.url}/ui/builds/{build['id']}")
    expect(page.get_by_role("heading", name="Build")).to_be_visible()
    log = page.locator("#log")
    first = log.inner_text().count("\n")
    wait_until("new log lines", lambda: log.inner_text().count("\n") >= first + 2, 60)
    shot(page, "build-running")
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.context.add_cookies([cookie])
    phone.goto(f"{args.url}/ui/builds/{build['id']}")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page fits a phone's width"
    shot(phone, "build-phone")
    phone.close()
    expect(page.locator("#build-status")).to_have_text("completed", timeout=120_000)
    expect(page.locator("#stage-testing [data-field=status]")).to_have_text("completed")
    expect(page.locator("#build-percent")).to_have_text("100")
    grown = log.inner_text().count("\n")
    print(f"build {build['buildNumber']}: {first} log lines at first, {grown} at the end, status completed")
    shot(page, "build-completed")

    # An artifact's provenance and lineage.
    page.goto(f"{args.url}/ui/artifacts/{args.artifact}")
    expect(page.get_by_role("heading", name="Lineage")).to_be_visible()
    expect(page.locator(".statement")).to_contain_text("kfarm.artifact.provenance")
    expect(page.locator("#lineage-deployments")).to_contain_text("never deployed")
    shot(page, "artifact")

    # A rollout: the targets change on the page as the agents install.
    systems = args.systems.split(",")
    deployment = api("POST", "/deployments", {
        "buildArtifactId": args.artifact, "targetSystems": systems, "options": {"maxParallelSystems": 1, "forceReboot": True}})
    page.goto(f"{args.url}/ui/deployments/{deployment['id']}")
    cells = page.locator("[data-field=status]")
    seen = []

    def finished():
        states = tuple(cells.all_inner_texts())
        if not seen or seen[-1] != states:
            seen.append(states)
        return all(state == "completed" for state in states) and len(states) == len(systems)

    wait_until("every target completed", finished, 120)
    assert len(seen) >= 2, f"the targets never changed on the page: {seen}"
    expect(page.locator("#deployment-status")).to_have_text("completed")
    print(f"rollout seen as {seen}")
    shot(page, "deployment")
    page.goto(f"{args.url}/ui/artifacts/{args.artifact}")
    expect(page.locator("#lineage-deployments")).to_contain_text(deployment["id"])
    expect(page.locator("#lineage-running li")).to_have_count(len(systems))

    # Signing out ends the session.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{args.url}/ui/login")
    page.goto(args.url + "/ui")
    expect(page).to_have_url(f"{args.url}/ui/login?next=/ui")
    shot(page, "signed-out")
    print("signed out")
    browser.close()
