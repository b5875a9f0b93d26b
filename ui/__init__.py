"""The Gradio app's parts: its controls (knobs), event handlers and file lifecycle. No TensorFlow."""
