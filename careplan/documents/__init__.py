"""What is printed: the handout and summary text, PDFs, body map, locales."""
