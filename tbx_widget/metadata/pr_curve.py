"""PR curves: TensorBoard's ``pr_curves`` plugin."""
PLUGIN_NAME = "pr_curves"
KIND = "pr_curves"
