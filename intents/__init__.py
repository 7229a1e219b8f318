"""Understanding one citizen message: normalising text, matching the FAQ, spotting intents."""
