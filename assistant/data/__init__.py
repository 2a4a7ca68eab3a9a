"""Package data: the plain-language glossary and lists used by the guards."""
