"""电子证照: certificates as signed A4 PDFs.

- :mod:`~hub.documents.render`: the page (Typst, PDF/A-2b, embedded CJK subsets);
- :mod:`~hub.documents.seal`: the generated seal image;
- :mod:`~hub.documents.signing`: the office's PAdES signature (pyHanko; key file
  or PKCS#11 token) drawn with the seal;
- :mod:`~hub.documents.pki`: the demo hub's CA and office certificate;
- :mod:`~hub.documents.settings`: ``[hub.documents]`` in hub.toml.

This ``__init__`` imports nothing: :mod:`hub.settings` reads the settings
module without loading the PDF stack.
"""
