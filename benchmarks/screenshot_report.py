"""Look at the HTML report as a planner sees it: render it in headless Chromium and save screenshots.

Runs the baseline on the real-data build (SSB files in ``--data``; the embedded default when they
are absent), writes the report in both languages and screenshots each page in Debian's Chromium
(``apt-get install chromium``), cut into screen-sized PNGs in ``--out``. It checks that the page
rendered (a real image, not blank) and prints the files to open. Not part of the test suite: it
needs a browser.

    python benchmarks/screenshot_report.py [--data ../shared/data/ssb] [--out /tmp/helsemod-shots]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]
WIDTH, HEIGHT, SCREEN = 1280, 14000, 1600


def project(data: Path, work: Path):
    """A results folder of the baseline: real municipalities where the SSB files are, else the default."""
    import helsemod_py as hm
    from helsemod_py.outputs import write_results

    files = [data / f for f in ("population_kommune_age_sex_2015_2024.csv", "kommuner_2024.csv",
                                "population_norway_age_sex_1986_2024.csv", "kostra_care_panel_2015_2023.csv")]
    if all(f.is_file() for f in files):
        from helsemod_py.data.kostra import calibrate_from_file
        from helsemod_py.data.ssb import dataset_from_ssb

        ds = calibrate_from_file(dataset_from_ssb(files[0], files[1], national_csv=files[2]), files[3])
    else:
        ds = hm.load_dataset()
    return write_results(hm.project(ds), work / "results", force=True)


def screenshot(html: Path, png: Path, chromium: str) -> None:
    profile = tempfile.mkdtemp(prefix="helsemod-chromium-")
    try:
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}",
                        f"--screenshot={png}", html.resolve().as_uri()], check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def cut(png: Path, out: Path, stem: str) -> list[Path]:
    """Screen-sized pieces of a tall screenshot, down to the end of the page (blank rows dropped)."""
    import matplotlib.image as mpimg

    img = mpimg.imread(png)
    ink = (img[..., :3] < 0.97).any(axis=(1, 2))
    last = int(np.flatnonzero(ink)[-1]) + 20 if ink.any() else 0
    if last < 500:
        raise SystemExit(f"{png}: the page looks blank (ink down to row {last})")
    paths = []
    for i, top in enumerate(range(0, last, SCREEN)):
        path = out / f"{stem}_{i + 1:02d}.png"
        mpimg.imsave(path, img[top:min(top + SCREEN, last)])
        paths.append(path)
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT / ".." / "shared" / "data" / "ssb"))
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "helsemod-shots"))
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found: install Debian's package (apt-get install chromium)", file=sys.stderr)
        return 1
    from helsemod_py.report import report_from_folder

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = project(Path(args.data), Path(tmp))
        for lang in ("nb", "en"):
            html = report_from_folder(folder, lang=lang)
            full = Path(tmp) / f"report_{lang}.png"
            screenshot(html, full, chromium)
            for p in cut(full, out, f"report_{lang}"):
                print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
