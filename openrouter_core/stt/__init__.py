"""What only speech-to-text has: its ``input_audio`` field, which also takes an audio file.
The operations are ``funcs/stt_create_transcription.py`` (JSON, the file as base64) and
``funcs/stt_create_transcription_multipart.py`` (an upload)."""

from openrouter_core.stt.audio import audio_value, input_audio

__all__ = ["audio_value", "input_audio"]
