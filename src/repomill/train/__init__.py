"""Fine-tuning on a repomill dataset: LoRA adapters (peft) trained with the loss on the
completion tokens only (`repomill train`)."""
