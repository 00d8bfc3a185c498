"""hw5lib.standin.hand_fonts: fetching font packages (from a registry on 127.0.0.1), the missing-font message and
the table of traced centre lines."""

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from hw5lib.standin import centre_lines, hand_fonts


def npm_package(path: Path, name: str, font: str) -> str:
    """A fontsource-like npm tarball holding the font and a licence; its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        archive.add(font, f"package/files/{name}-latin-400-normal.woff")
        licence = b"This Font Software is licensed under the SIL Open Font License, Version 1.1.\n"
        info = tarfile.TarInfo("package/LICENSE")
        info.size = len(licence)
        archive.addfile(info, io.BytesIO(licence))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def registry(web, font):
    """A registry on 127.0.0.1 serving one font package: (its address, {name: sha256})."""
    root, base = web
    name = "test-hand"
    tarball = root / "@fontsource" / name / "-" / f"{name}-{hand_fonts.FONT_VERSION}.tgz"
    return base, {name: npm_package(tarball, name, font)}


def test_fetch_keeps_each_font_and_its_licence(registry, tmp_path):
    base, fonts = registry
    folder = hand_fonts.fetch_fonts(fonts, registry=base, folder=tmp_path / "fonts", progress=False)
    assert (folder / "test-hand.woff").read_bytes()[:4] == b"wOFF"
    assert "Open Font License" in (folder / "test-hand.LICENSE").read_text()
    assert hand_fonts.missing_fonts(fonts, folder) == []
    assert [p.name for p in folder.iterdir() if p.is_dir()] == []  # no downloads left behind


def test_fetch_leaves_fonts_already_there(registry, web, tmp_path):
    base, fonts = registry
    folder = hand_fonts.fetch_fonts(fonts, registry=base, folder=tmp_path / "fonts", progress=False)
    for served in (web[0] / "@fontsource").rglob("*.tgz"):
        served.unlink()
    assert hand_fonts.fetch_fonts(fonts, registry=base, folder=folder, progress=False) == folder


def test_a_package_that_does_not_match_its_hash(registry, tmp_path):
    base, fonts = registry
    with pytest.raises(hand_fonts.FontsMissing, match=r"could not fetch the handwriting font test-hand from "
                       r"http://127\.0\.0\.1.*test-hand-5\.3\.0\.tgz.*SHA256 hash.*HW5_FONT_REGISTRY"):
        hand_fonts.fetch_fonts({"test-hand": "0" * 64}, registry=base, folder=tmp_path / "fonts", progress=False)
    assert hand_fonts.missing_fonts({"test-hand": "0" * 64}, tmp_path / "fonts") == ["test-hand"]


def test_a_registry_without_the_package(web, tmp_path):
    _, base = web
    with pytest.raises(hand_fonts.FontsMissing, match=r"could not fetch the handwriting font absent .*check the "
                       "network"):
        hand_fonts.fetch_fonts({"absent": "0" * 64}, registry=base, folder=tmp_path / "fonts", progress=False)


def test_missing_fonts_say_how_to_fetch_them(tmp_path, monkeypatch):
    monkeypatch.setenv("HW5_FONTS", str(tmp_path / "empty"))
    with pytest.raises(hand_fonts.FontsMissing, match=r"handwriting fonts that are not in .*empty \(missing: "
                       r"annie-use-your-telescope, .* and more\); fetch them once with `hw5 data fonts`"):
        hand_fonts.trace_fonts("AB", progress=False)


def test_the_traced_table_is_kept_and_keyed_by_the_tracing_code(font, tmp_path, monkeypatch):
    monkeypatch.setenv("HW5_FONTS", str(tmp_path / "fonts"))
    (tmp_path / "fonts").mkdir()
    fonts = {"test-hand": "x"}
    hand_fonts.font_file("test-hand").write_bytes(Path(font).read_bytes())
    table = hand_fonts.trace_fonts("TLQ", fonts, workers=1, progress=False)
    strokes = hand_fonts._load_table(str(table))
    assert len(strokes["test-hand/T"]) == 2 and len(strokes["test-hand/L"]) == 1
    assert strokes["test-hand/Q"] == []  # the font has no Q: nothing to choose
    stamp = table.stat().st_mtime_ns
    assert hand_fonts.trace_fonts("TLQ", fonts, progress=False) == table and table.stat().st_mtime_ns == stamp
    changed = tmp_path / "centre_lines_changed.py"
    changed.write_bytes(Path(centre_lines.__file__).read_bytes() + b"\nSIMPLIFY = 2.0\n")
    monkeypatch.setattr(centre_lines, "__file__", str(changed))
    assert hand_fonts.table_path("TLQ", fonts) != table


def test_the_command_line_says_when_fonts_are_missing(tmp_path, monkeypatch, capsys):
    from hw5lib import cli

    monkeypatch.setenv("HW5_FONTS", str(tmp_path / "no-fonts"))
    monkeypatch.setenv("HW5_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HW5_STANDIN", "1")
    assert cli.main(["data", "status"]) == 0
    assert "handwriting fonts of the stand-in: 0 of 30 (fetch them with `hw5 data fonts`)" in capsys.readouterr().out
    assert cli.main(["data", "build"]) == 1
    assert "hw5 data build: the stand-in draws handwriting fonts that are not in" in capsys.readouterr().err
    assert not list((tmp_path / "cache").glob("nist36-standin*"))  # nothing half-built is left


def test_a_file_that_is_no_font_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("HW5_FONTS", str(tmp_path))
    hand_fonts.font_file("test-hand").write_bytes(b"<html>not a font</html>")
    with pytest.raises(hand_fonts.FontsMissing, match=r"test-hand\.woff is not a usable font .*delete it and run "
                       "`hw5 data fonts` again"):
        hand_fonts.trace_fonts("T", {"test-hand": "x"}, progress=False)
