"""linreg's engine: data, losses, update rules and a step-wise Trainer. torch and the standard library only.

Importing the package is cheap: torch loads only when a module that needs it is imported, so the app can
draw its first screen before torch is in memory.
"""
import warnings

# torch warns at import when NumPy is absent; linreg never uses NumPy.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
