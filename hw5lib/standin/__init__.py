"""The offline NIST36 stand-in's generator: nothing here is part of the homework.

``hand_fonts`` fetches the handwriting fonts, ``centre_lines`` traces their glyphs to pen strokes,
``synth`` draws characters with them, and ``ink_measures`` compares the drawn ink with real letters.
``hw5lib.data`` and ``hw5lib.pages`` use it; students never need to open it.
"""
