"""Handwriting fonts for the offline stand-in: fetched once from the npm registry, traced to centre lines.

The fonts are handwriting families of Google Fonts as the fontsource project packages them on the npm
registry, under the SIL Open Font License; each package is pinned by version and SHA-256. `hw5 data fonts`
(which the Makefile runs when it sets up the environment) downloads them with pooch into the fonts folder
(HW5_FONTS, or ``fonts`` in the user cache) with each font's licence. The stand-in draws the glyphs' centre
lines (hw5lib.standin.centre_lines) with its own pen; the centre lines are traced once per machine and kept beside
the fonts, keyed by the tracing code, so a change to it traces them again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np

from hw5lib.nist36_format import DataError

REGISTRY = "https://registry.npmjs.org"
FONT_VERSION = "5.3.0"
# fontsource package name -> SHA-256 of its npm tarball (version FONT_VERSION).
HAND_FONTS = {
    "annie-use-your-telescope": "ed1cea10322cff6e760b1c1d2cb3be8b5a3b08ddea41feae31f9f938f39fe1ab",
    "architects-daughter": "791d2009fbdc46ca3eb942c27c62c0ee353668cd290dfad17f401b8488c727a1",
    "caveat": "ebf746fc0667b9d10fcac7c8604e2ba40a264da85a1c9b48bd679c0af3221293",
    "comic-neue": "0d242660fa8a3e31deb4ba0005b830904db4533ae3366f9c41724ff452662fa6",
    "coming-soon": "aac84961066a709d468766331ec2dcbe9c45bbf5260537ca859e411703d20395",
    "covered-by-your-grace": "1bd27256356f90c7bc7b463d36c05565ef4b3d655bc56d0dd7b7387114b1308d",
    "dekko": "37938c5218b2e1c7ec8a8563796d12e1c357788d2f1a444e8ffd7d9e6f572143",
    "delius": "d11ac0b0039cc03d141d2dc65ee3472a8bd77300ff2dc16ed24c83544097ecb0",
    "gloria-hallelujah": "8755cc046e06286eeebee193f9f753bd0f03eec44c7bf188fc883db66e7a9d91",
    "gochi-hand": "6e206b6139093775d8762503196d6d991408bd5f8393ea0357f4f89b75b195a3",
    "handlee": "e1fbeba16906d4807b42add8ab85dec533c3e667575be00ba96f050b5fc452ce",
    "indie-flower": "be380503f1e2c5ef08b8399a28f8cb2f1725527db2cb6aacec3037c2bd1b9083",
    "itim": "2b6f41d05eae237d51e51e69099993e2864d9c61a0015cb908b73850000f1e2e",
    "just-another-hand": "58754de1b8784c97defb535f0c7e5d683ace09c17533e20c0c8c627da8239d2f",
    "kalam": "0aaf22523f3c57ae19f32c4f4df0d43d6efd01b7563a19cf4ed818cd5601426d",
    "loved-by-the-king": "d058a205828a2e29748c87c533dd917fb9b3e4156d6ae564f48cef24f5e9eb69",
    "mali": "391b86c08e567a8537c0cf6aad7298f5e4c54e0ab7652d046b44678f01f7fbd0",
    "neucha": "8f2718549556a0c406a766edc9689801a950dc79a71cbb646fc5e2d67c49cca0",
    "over-the-rainbow": "5f231cee244b4c3a734da05bf23d4e07fec1062ffa1824358e933f59fc94e313",
    "patrick-hand": "c3428d02610c7b8fa92b044cf766f8c30b88bb32a47460b4ac42fa14e0bcdcc0",
    "permanent-marker": "1fc372d174353a87b0ae7bb9651e32e7d1731f9e0b4c50c5d8704baea032bc1b",
    "reenie-beanie": "8a2406f9b3c0b76199dcd87288ea40480fcd8547ba1af2f9f3156205f1688be9",
    "rock-salt": "c298a87c9a667bcd034b4a5c87430394a0d9bdc03ff6182eaacac2abb868db57",
    "schoolbell": "08901884344f129587928d2260a84e6d8cc7baae54ecdce19ff225694314b704",
    "shadows-into-light": "0885aefd34c65bd79207cffff0771ae0527f227a202bc850f8cf9a12257fc7f1",
    "short-stack": "10ff174d6c256fd5e5417466b24a561de4fd1c5d090975849c77cc7746d8f470",
    "sue-ellen-francisco": "93c9f047a1709b2879db10b52058ffba7c1642f0acbec422eb358433c937ee00",
    "swanky-and-moo-moo": "3a1b7f26957986f2bd645c3656f4044812a8b6995eeb2870c90a2f6b86426cd5",
    "the-girl-next-door": "d4ac864cbcda87dffe808b5366045e8d75c149fd2a00d081cc8343ab36699545",
    "waiting-for-the-sunrise": "6f9c645d858526553e72f0b56abb32742d5d4c10d6acdb392e5d3fa843ef7141",
}
FETCH_HINT = ("fetch them once with `hw5 data fonts` or `python -m hw5lib.cli data fonts` (about 5 MB from the "
              "npm registry; `make test` and `make demo` do it), or copy the .woff files of another machine's "
              "fonts folder into HW5_FONTS")


class FontsMissing(DataError):
    """The handwriting fonts (or some of them) are not in the fonts folder, or could not be fetched."""


def fonts_dir() -> Path:
    """Where the fonts are kept: HW5_FONTS, or ``fonts`` in the user cache (not moved by HW5_CACHE)."""
    if os.environ.get("HW5_FONTS"):
        return Path(os.environ["HW5_FONTS"])
    import pooch

    return Path(pooch.os_cache("hw5")) / "fonts"


def font_file(name: str, folder: Path | None = None) -> Path:
    """The font file of one handwriting font."""
    return (folder or fonts_dir()) / f"{name}.woff"


def missing_fonts(fonts: dict[str, str] | None = None, folder: Path | None = None) -> list[str]:
    """Names of the fonts not in the fonts folder."""
    return [name for name in (fonts or HAND_FONTS) if not font_file(name, folder).is_file()]


def fetch_fonts(fonts: dict[str, str] | None = None, registry: str | None = None, folder: Path | None = None,
                progress: bool = True) -> Path:
    """Download the font packages that are not here yet (checked against their SHA-256) and keep each font
    and its licence in the fonts folder. ``registry`` defaults to HW5_FONT_REGISTRY or the npm registry."""
    import pooch
    from tqdm.auto import tqdm

    fonts = fonts or HAND_FONTS
    registry = (registry or os.environ.get("HW5_FONT_REGISTRY") or REGISTRY).rstrip("/")
    folder = folder or fonts_dir()
    todo = missing_fonts(fonts, folder)
    folder.mkdir(parents=True, exist_ok=True)
    pooch.get_logger().setLevel("WARNING")  # the progress bar says enough
    for name in tqdm(todo, desc="fetching handwriting fonts", unit="font", disable=not progress or not todo):
        url = f"{registry}/@fontsource/{name}/-/{name}-{FONT_VERSION}.tgz"
        members = [f"package/files/{name}-latin-400-normal.woff", "package/LICENSE"]
        with tempfile.TemporaryDirectory(dir=folder) as work:
            try:
                files = pooch.retrieve(url, known_hash=f"sha256:{fonts[name]}", path=work, progressbar=False,
                                       processor=pooch.Untar(members=members))
            except Exception as exc:
                raise FontsMissing(f"could not fetch the handwriting font {name} from {url} "
                                   f"({type(exc).__name__}: {exc}); check the network, or set HW5_FONT_REGISTRY "
                                   "to a mirror of the npm registry") from exc
            by_name = {Path(f).name: Path(f) for f in files}
            if f"{name}-latin-400-normal.woff" not in by_name:
                raise FontsMissing(f"{url} holds no {members[0]}; is it the fontsource package of {name}?")
            if "LICENSE" in by_name:
                shutil.copyfile(by_name["LICENSE"], folder / f"{name}.LICENSE")
            part = Path(work) / f"{name}.woff"  # moved in whole, so an interrupted fetch leaves no half font
            shutil.copyfile(by_name[f"{name}-latin-400-normal.woff"], part)
            os.replace(part, font_file(name, folder))
    return folder


def _require_fonts(fonts: dict[str, str]) -> None:
    missing = missing_fonts(fonts)
    if missing:
        raise FontsMissing(f"the stand-in draws handwriting fonts that are not in {fonts_dir()} (missing: "
                           f"{', '.join(missing[:4])}{' and more' if len(missing) > 4 else ''}); {FETCH_HINT}")


def table_path(chars: str, fonts: dict[str, str] | None = None) -> Path:
    """The file of traced centre lines for these fonts and characters, keyed by the tracing code."""
    from hw5lib.standin import centre_lines

    fonts = fonts or HAND_FONTS
    digest = hashlib.sha256(Path(centre_lines.__file__).read_bytes())
    digest.update(repr((sorted(fonts.items()), chars)).encode())
    return fonts_dir() / f"centre-lines-{digest.hexdigest()[:12]}.npz"


def _trace_font(args: tuple) -> list[tuple[str, str, list[np.ndarray]]]:
    from hw5lib.standin import centre_lines

    path, name, chars = args
    out = []
    for char in chars:
        try:
            out.append((name, char, centre_lines.glyph_strokes(path, char)))
        except ValueError:  # the font lacks this glyph: the stand-in will not choose it
            out.append((name, char, []))
    return out


def trace_fonts(chars: str, fonts: dict[str, str] | None = None, workers: int | None = None,
                progress: bool = True) -> Path:
    """Trace the centre lines of ``chars`` in every font (once; later calls find the file) and save them."""
    from tqdm.auto import tqdm

    from hw5lib.standin import centre_lines

    fonts = fonts or HAND_FONTS
    target = table_path(chars, fonts)
    if target.is_file():
        return target
    _require_fonts(fonts)
    for name in fonts:
        try:
            centre_lines.open_font(str(font_file(name)))
        except Exception as exc:
            raise FontsMissing(f"{font_file(name)} is not a usable font ({type(exc).__name__}: {exc}); delete it "
                               "and run `hw5 data fonts` again") from exc
    jobs = [(str(font_file(name)), name, chars) for name in fonts]
    names, sizes, points = [], [], []
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for traced in tqdm(pool.map(_trace_font, jobs), total=len(jobs), desc="tracing handwriting fonts",
                           unit="font", disable=not progress, leave=False):
            for name, char, strokes in traced:
                names.append(f"{name}/{char}")
                sizes.append([len(s) for s in strokes])
                points.extend(strokes)
    work = target.with_name(target.name + f".{os.getpid()}.tmp.npz")
    np.savez(work, names=np.array(names), strokes_per_glyph=np.array([len(s) for s in sizes]),
             points_per_stroke=np.array([n for s in sizes for n in s], dtype=int),
             points=np.concatenate(points) if points else np.zeros((0, 2)))
    os.replace(work, target)
    return target


@lru_cache(maxsize=None)
def _load_table(path: str) -> dict[str, list[np.ndarray]]:
    with np.load(path, allow_pickle=False) as table:
        names, per_glyph = table["names"], table["strokes_per_glyph"]
        strokes = np.split(table["points"], np.cumsum(table["points_per_stroke"])[:-1])
    glyph_ends = np.cumsum(per_glyph)
    return {str(n): strokes[end - k:end] for n, k, end in zip(names, per_glyph, glyph_ends)}


def traced_glyphs(chars: str) -> dict[str, list[np.ndarray]]:
    """The table of ``chars`` (traced first if it is not there): "<font>/<char>" -> strokes (x, y; y down),
    none for a glyph the font lacks."""
    return _load_table(str(trace_fonts(chars, progress=False)))


def glyph_strokes(name: str, char: str, chars: str) -> list[np.ndarray]:
    """The traced strokes of ``char`` in font ``name`` from the table of ``chars`` (see traced_glyphs)."""
    return traced_glyphs(chars).get(f"{name}/{char}", [])
