"""``python -m mmsim`` runs the command line, through the console script's entry (``_mmsim_main.main``): a Ctrl-C
while :mod:`mmsim.cli` is imported is ``mmsim: interrupted`` and 130 there too (one while the package itself is
imported: :mod:`mmsim._start`)."""

import sys

from _mmsim_main import main

sys.exit(main())
