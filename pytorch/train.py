"""`python pytorch/train.py ...` (and `torchrun ... pytorch/train.py ...`) from a checkout: the
package's trainer, lstmchat_torch.train, which `pip install ./pytorch` installs as the console
script lstmchat-torch-train. Python puts this folder first on the path, so the package beside this
file is the one imported."""

from lstmchat_torch.train import cli

if __name__ == "__main__":
    cli()
