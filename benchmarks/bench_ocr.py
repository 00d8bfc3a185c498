"""Reading handwriting (Q5): accuracy on the sample pages and a harder set, and the time for a 12 MP photo.

Run with `make bench`. Uses the Q3 network trained 50 epochs on the offline stand-in (cached).
Goals: box recall >= 0.98 and character accuracy >= 0.90 on each sample page; a 12-megapixel photo
end to end in at most 5 s.
"""

from __future__ import annotations

import time

import numpy as np
from skimage import transform

from hw5lib import data, ocr, ocr_eval, ocr_model, pages


def twelve_megapixel_page() -> tuple[np.ndarray, list[str]]:
    """A synthetic page scaled up uniformly to fill a 3000 x 4000 photo."""
    page = pages.synthesize_page(["A PHOTO OF A PAGE", "TAKEN WITH A PHONE", "TWELVE MILLION", "PIXELS 2026"],
                                 seed=12)
    h, w = page.image.shape[:2]
    scale = min(3000 / h, 4000 / w)
    up = transform.rescale(page.image, scale, order=1, channel_axis=2)
    photo = np.ones((3000, 4000, 3)) * up[0, 0]
    top, left = (3000 - up.shape[0]) // 2, (4000 - up.shape[1]) // 2
    photo[top:top + up.shape[0], left:left + up.shape[1]] = up
    return (photo * 255).round().astype(np.uint8), page.lines


def main() -> None:
    """Print the figures."""
    data.load_nist36(standin=True, progress=False)
    params = ocr_model.reading_network(data.standin_folder() / "q3_reference.npz", progress=False)
    print("sample pages (goal: recall >= 0.98, character accuracy >= 0.90 on each):")
    for page in pages.sample_pages(include_photos=False):
        boxes, _ = ocr.findLetters(page.image)
        truth = [b for row in page.boxes for b in row]
        text = ocr.read_text(page.image, params)
        print(f"  {page.name:<11} boxes {len(boxes):>3}/{len(truth):<3} recall {ocr_eval.box_recall(boxes, truth):.3f}"
              f"  character accuracy {ocr_eval.character_accuracy(text, page.lines):.3f}  read {text}")
    hard = pages.hard_pages(20, seed=0)
    accuracy = [ocr_eval.character_accuracy(ocr.read_text(p.image, params), p.lines) for p in hard]
    recall = [ocr_eval.box_recall(ocr.findLetters(p.image)[0], [b for r in p.boxes for b in r]) for p in hard]
    print(f"harder set (20 pages, seed 0: up to 5 degrees, shadows, noise, JPEG 60): mean character accuracy "
          f"{np.mean(accuracy):.3f} (lowest {np.min(accuracy):.3f}), mean recall {np.mean(recall):.3f}")
    photo, lines = twelve_megapixel_page()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        text = ocr.read_text(photo, params)
        times.append(time.perf_counter() - start)
    print(f"12 MP photo (3000x4000 uint8 RGB) end to end: best {min(times):.2f} s, worst {max(times):.2f} s "
          f"(goal <= 5 s); character accuracy {ocr_eval.character_accuracy(text, lines):.3f}")


if __name__ == "__main__":
    main()
