"""The Model page: training, the model card and its charts, the active model."""
