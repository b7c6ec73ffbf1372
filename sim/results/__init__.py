"""Results on disk that can be trusted: atomic writes, folder locks, manifests and verification, resume.
"""
