"""`python pytorch/ask.py ...` from a checkout: the package's lstmchat_torch.ask, which
`pip install ./pytorch` installs as the console script lstmchat-torch-ask."""

from lstmchat_torch.ask import cli

if __name__ == "__main__":
    cli()
