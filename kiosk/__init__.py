"""The terminal's core: app loop, session, flows, hub client, journal,
fleet agent, voice, i18n, theme, privacy and UI widgets."""

__version__ = "0.1.0"
