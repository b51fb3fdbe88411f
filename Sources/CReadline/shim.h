// GNU readline and its history library.
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
