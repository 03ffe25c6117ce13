"""Drawing primitives for screens: fonts, cached text, buttons and layout.

Only the app loop's thread uses these (they touch pygame surfaces)."""
