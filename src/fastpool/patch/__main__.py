"""``python -m fastpool.patch script.py [args]``: run a script with model2vec patched."""

from . import main

main()
