"""Widgets of the main screen; each renders state handed to it and posts messages upward."""
