"""The catalog: what a store sells (products and their variants) and what it might sell next."""
