"""What a user asks for, read and checked: command-line options and config files into one frozen Config
(config.py, parse.py, configfile.py), parameter files (paramsfile.py), the race presets, the errors that
name a field (errors.py), and the rules every file read or written goes through (files.py: regular files
only, bounded; outputs.py: never onto an input or a device). Imports no other part and never torch."""
