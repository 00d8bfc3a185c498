"""The ``hw5`` command: the bundle's main job and maintenance entries."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

TOY_SETTINGS = dict(hidden=25, learning_rate=1e-3, batch_size=5, epochs=500, seed=0)


def run_demo(out: Path) -> int:
    """Train the Q2 toy net with the handout's settings, load NIST36 and draw the sample pages; save figures.

    (The backward passes are checked against central differences by ``python -m grading demo``: the grader's
    checker is not part of the release.)"""
    import matplotlib

    matplotlib.use("Agg")
    from hw5lib import plots, toydata, train

    out.mkdir(parents=True, exist_ok=True)
    s = TOY_SETTINGS
    x, y = toydata.make_toy_data()
    np.random.seed(s["seed"])
    params = train.init_classifier(x.shape[1], s["hidden"], y.shape[1])
    loss0, acc0 = train.evaluate(x, y, params)
    history = train.run_epochs(x, y, params, s["epochs"], s["batch_size"], s["learning_rate"])
    loss, acc = history["train_loss"][-1], history["train_acc"][-1]
    print(f"Q2.4 toy net 2-{s['hidden']}-4, lr {s['learning_rate']}, batch {s['batch_size']}, {s['epochs']} epochs")
    print(f"  before training: total loss {loss0:.2f}, accuracy {acc0:.3f}")
    print(f"  after training:  total loss {loss:.2f}, accuracy {acc:.3f}  (goal: <= 35 and >= 0.75)")
    plots.plot_history(history, "toy training").savefig(out / "toy_training.png", dpi=100)
    plots.plot_decision_regions(
        x, y, lambda g: train.classify(g, params), "toy classes after training"
    ).savefig(out / "toy_regions.png", dpi=100)

    training_ok = loss <= 35 and acc >= 0.75

    from hw5lib import data, pages

    nist = data.load_nist36()
    print(f"\nNIST36: {nist.source}")
    for split in data.SPLITS:
        images, labels = nist.split(split)
        print(f"  {split:<6} {images.shape[0]:>6} images, {images.dtype}, values {images.min():.2f}..{images.max():.2f}")
    plots.plot_character_grid(nist.train_data[::100], nist.train_labels[::100], per_class=3,
                              title="NIST36 training examples").savefig(out / "nist36_examples.png", dpi=100)
    for page in pages.sample_pages():
        plots.plot_page(page.image, page.boxes, page.name).savefig(out / f"page_{page.name}.png", dpi=80)
        chars = sum(len(row) for row in page.boxes or [])
        print(f"  sample page {page.name}: {page.image.shape[1]}x{page.image.shape[0]}, "
              + (f"{len(page.lines)} lines, {chars} characters" if page.lines else "course photo"))
    print(f"\nfigures written to {out}/")
    return 0 if training_ok else 1


def run_data(args: argparse.Namespace) -> int:
    """The ``hw5 data`` subcommands: status, fetch, fonts, build."""
    from hw5lib import data

    try:
        if args.action == "status":
            print(data.describe(args.folder))
        elif args.action == "fetch":
            dest = data.fetch_nist36(args.dest, args.url)
            print(f"NIST36 fetched and checked: {dest}")
        elif args.action == "fonts":
            from hw5lib.standin import hand_fonts, synth

            folder = hand_fonts.fetch_fonts()
            table = hand_fonts.trace_fonts(synth.TRACED_CHARS)
            print(f"{len(hand_fonts.HAND_FONTS)} handwriting fonts in {folder}, centre lines in {table.name}")
        elif args.action == "build":
            folder = data.standin_folder()
            if folder.exists() and not args.force:
                print(f"the stand-in is already built in {folder} (use --force to draw it again)")
            else:
                print(f"stand-in written to {data.build_standin(folder)}")
    except data.DataError as exc:
        print(f"hw5 data {args.action}: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hw5`` command."""
    parser = argparse.ArgumentParser(prog="hw5", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the main job on the offline data and write its outputs")
    demo.add_argument("--out", type=Path, default=Path("build/demo"), help="output folder (default: build/demo)")
    data_cmd = sub.add_parser("data", help="see which NIST36 data is used, fetch the real files or the stand-in's "
                              "fonts, build the stand-in")
    actions = data_cmd.add_subparsers(dest="action", required=True)
    status = actions.add_parser("status", help="say which data load_nist36 uses and where it looks")
    status.add_argument("--folder", type=Path, help="a folder to look in first")
    fetch = actions.add_parser("fetch", help="download the course's data.zip (needs the network)")
    fetch.add_argument("--dest", type=Path, help="where to put the three .mat files (default: the user cache)")
    fetch.add_argument("--url", help="address of data.zip (default: HW5_DATA_URL or the course's)")
    actions.add_parser("fonts", help="fetch the stand-in's handwriting fonts once (needs the npm registry) "
                       "and trace their centre lines")
    build = actions.add_parser("build", help="draw the offline stand-in and cache it")
    build.add_argument("--force", action="store_true", help="draw it again even if it is cached")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return run_demo(args.out)
    if args.command == "data":
        return run_data(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
