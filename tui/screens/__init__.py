"""The app's screens: the main interrogation screen and its modals."""
