"""One module per language feature; each is a plain function over parsed documents and the analysis."""
