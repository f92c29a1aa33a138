"""The HTML pages in a real browser: headless Chromium driven through Selenium (Debian's chromium, chromium-driver,
python3-selenium; scripts/setup.sh werror installs them). Skipped with a message where they are missing.
  - the run report of a run folder named <script>alert(1)</script> loads without console errors, shows the name as
    text and runs no script;
  - a realfake study: answered by key presses only (with a reload half-way: progress survives in the URL fragment),
    exported, and `ganc study score` gives the fooled rate and the real accuracy our answers imply;
  - a mos study: rated with keys 1-5, the mean opinion scores come out as given.
Usage: python3 tests/test_browser.py GANC_BINARY [SCREENSHOT_DIR]"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

HOSTILE = "<script>alert(1)</script>"
fails = 0


def check(cond, what):
    global fails
    if not cond:
        fails += 1
        print("FAIL:", what)


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    o = Options()
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1000,900"]:
        o.add_argument(a)
    o.binary_location = shutil.which("chromium") or ""
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=o)


def severe(d):
    return [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]


def no_alert(d):
    from selenium.common.exceptions import NoAlertPresentException
    try:
        d.switch_to.alert
        return False
    except NoAlertPresentException:
        return True


def ganc(g, *args, cwd=None):
    r = subprocess.run([g, *args], capture_output=True, text=True, cwd=cwd, timeout=300)
    check(r.returncode == 0, f"ganc {' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return r.stdout


def wait(cond, secs=10):
    t = time.time()
    while time.time() - t < secs:
        if cond():
            return True
        time.sleep(0.02)
    return False


def answer_all(d, key_for, reload_after=None):
    """press Enter, then for every item wait for the question and press key_for(item); returns the items"""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    items = d.execute_script("return STUDY.items.map(x => ({id: x.id, truth: x.truth, source: x.source, ms: x.ms}))")
    body = d.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ENTER)
    for k, it in enumerate(items):
        if reload_after is not None and k == reload_after:
            # progress is kept twice: localStorage and the URL fragment. Chromium's localStorage for file:// pages
            # sometimes comes back empty on a reload (2-4 in 80 here), so check what it holds in this page, then
            # drop it and reload: the fragment alone must bring the page back to the same item.
            check(d.execute_script("return JSON.parse(localStorage.getItem(K)).answers.length") == k,
                  "progress saved in localStorage")
            d.execute_script("localStorage.clear()")
            d.refresh()
            check("Resuming at item %d" % (k + 1) in d.find_element(By.ID, "resume").text,
                  "progress kept on reload (from the URL fragment)")
            body = d.find_element(By.TAG_NAME, "body")
            body.send_keys(Keys.ENTER)
        ok = wait(lambda: "hidden" not in d.find_element(By.ID, "ask").get_attribute("class"))
        check(ok, f"the question for item {k} appears")
        if it["truth"] != "rating" and it["truth"] != "reference":
            check(not d.find_element(By.ID, "img").is_displayed(), "the image is hidden while asking")
        body.send_keys(key_for(it))
        # the key is handled asynchronously: wait until the page has counted the answer before the next step
        check(wait(lambda: d.find_element(By.ID, "progress").text.startswith(f"{k + 1} /")), f"item {k} counted")
    check(wait(lambda: "hidden" not in d.find_element(By.ID, "export").get_attribute("class")), "export link shown")
    return items


def exported(d, path):
    from selenium.webdriver.common.by import By
    href = d.find_element(By.ID, "export").get_attribute("href")
    check(href.startswith("data:application/json"), "export is a data: URL of JSON")
    data = json.loads(urllib.parse.unquote(href.split(",", 1)[1]))
    with open(path, "w") as f:
        json.dump(data, f)
    return data


def realfake(d, g, w, run, shots):
    page = os.path.join(w, "study.html")
    ganc(g, "study", "realfake", "--real", "fashion-mnist:test", "--fake", run, "--n", "12", "--ms", "50,100",
         "--seed", "3", "--out", page)
    d.get("file://" + page)
    if shots:
        d.save_screenshot(os.path.join(shots, "study_intro.png"))
    check(no_alert(d) and not severe(d), "study page loads cleanly")
    from selenium.webdriver.common.by import By
    check(not d.find_element(By.ID, "img").is_displayed(), "no image before the start")
    # answers: real items answered correctly; generated ones taken for real when shown 100 ms, spotted at 50 ms
    items = answer_all(d, lambda it: "r" if it["truth"] == "real" or it["ms"] == 100 else "f", reload_after=5)
    data = exported(d, os.path.join(w, "answers.json"))
    check(len(data["answers"]) == 12 and [a["id"] for a in data["answers"]] == [i["id"] for i in items],
          "every item answered once, in order")
    check(all(a["shown_ms"] >= a["ms"] for a in data["answers"]), "each image was shown at least its time")
    check(not severe(d), f"no console errors: {severe(d)}")
    s = json.loads(ganc(g, "study", "score", os.path.join(w, "answers.json"), "--json"))
    for f in s["fooled"]:
        want = 1.0 if f["ms"] == 100 else 0.0
        check(abs(f["fooled_rate"] - want) < 1e-9 and f["model"] == run, f"fooled_rate at {f['ms']} ms: {f}")
        check(f["ci95"][0] <= f["fooled_rate"] <= f["ci95"][1], "the interval holds the rate")
    check(sum(f["n"] for f in s["fooled"]) == 6 and all(r["accuracy"] == 1.0 for r in s["real"]),
          f"6 generated items, real accuracy 1: {s}")
    # two participants' files combine
    s2 = json.loads(ganc(g, "study", "score", os.path.join(w, "answers.json"), os.path.join(w, "answers.json"), "--json"))
    check(sum(f["n"] for f in s2["fooled"]) == 12, "two files combine")


def mos(d, g, w):
    from PIL import Image
    dirs = []
    for name, v in (("hr", 200), ("bicubic", 90)):
        p = os.path.join(w, name)
        os.makedirs(p, exist_ok=True)
        for i in range(3):
            Image.new("RGB", (16, 16), (v, v - 40 + 10 * i, 30)).save(os.path.join(p, f"img{i}.png"))
        dirs.append(p)
    page = os.path.join(w, "mos.html")
    ganc(g, "study", "mos", *dirs, "--refs", "2", "--out", page)
    d.get("file://" + page)
    check(no_alert(d) and not severe(d), "mos page loads cleanly")
    answer_all(d, lambda it: "5" if it["truth"] == "reference" or it["source"].endswith("hr") else "2")
    exported(d, os.path.join(w, "mos.json"))
    s = json.loads(ganc(g, "study", "score", os.path.join(w, "mos.json"), "--json"))
    got = {os.path.basename(m["method"]): (m["mos"], m["n"]) for m in s["mos"]}
    check(got == {"hr": (5.0, 3), "bicubic": (2.0, 3)}, f"MOS per method: {got}")


def report(d, g, w, run, shots):
    with open(os.path.join(run, "eval.json"), "w") as f:  # kept in the run folder, shown by the report
        f.write(ganc(g, "eval", "fid", "--real", "fashion-mnist:test", "--fake", run, "--n", "50", "--json"))
    out = os.path.join(w, "report.html")
    ganc(g, "report", run, "--out", out)
    d.get("file://" + out)
    from selenium.webdriver.common.by import By
    check(no_alert(d), "the hostile run name runs no script")
    check(HOSTILE in d.find_element(By.TAG_NAME, "h1").text, "the hostile name shows as text")
    check(len(d.find_elements(By.TAG_NAME, "script")) == 0, "the report has no script")
    check('"fid"' in d.find_element(By.TAG_NAME, "body").text and "Settings" in d.page_source,
          "the report shows the settings and the kept evaluation")
    imgs = d.find_elements(By.TAG_NAME, "img")
    check(len(imgs) >= 2 and all(d.execute_script("return arguments[0].naturalWidth > 0", i) for i in imgs),
          f"{len(imgs)} inlined images all decode")
    check(not severe(d), f"no console errors: {severe(d)}")
    if shots:  # the whole page
        d.set_window_size(1000, min(4000, d.execute_script("return document.body.scrollHeight") + 40))
        d.save_screenshot(os.path.join(shots, "report.png"))
        d.set_window_size(1000, 900)


def main():
    g = os.path.abspath(sys.argv[1])
    shots = sys.argv[2] if len(sys.argv) > 2 else None
    try:
        import selenium  # noqa: F401
    except ImportError:
        print("test_browser: skipped: python3-selenium is not installed (scripts/setup.sh werror installs it)")
        return 0
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        print("test_browser: skipped: chromium/chromium-driver are not installed (scripts/setup.sh werror)")
        return 0
    w = tempfile.mkdtemp(prefix="ganc_test_browser_")
    run = os.path.join(w, "run" + HOSTILE)
    ganc(g, "train", "dcgan", "--data", "fashion-mnist:test", "--ngf", "8", "--ndf", "8", "--nz", "16", "--iters",
         "20", "--sample-every", "5", "--threads", "2", "--out", run)
    d = browser()
    try:
        report(d, g, w, run, shots)
        realfake(d, g, w, run, shots)
        mos(d, g, w)
    finally:
        d.quit()
    print(f"test_browser: {'FAILED' if fails else 'ok'} ({fails} failures)")
    if not fails:
        shutil.rmtree(w, ignore_errors=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
