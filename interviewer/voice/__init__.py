"""The voice pipeline, as stages behind the protocols in `interviewer.protocols`.

models (find Whisper models in PyPI packages) -> stt (faster-whisper) and tts (pyttsx3/espeak-ng) ->
audio (sounddevice in and out, arrays, null output) -> vad (Silero, end of turn) -> loop (listening with
streaming transcription) -> channel (`VoiceChannel`, `FileChannel`) -> factory (from the CLI options).
"""
