"""Results folders: files written whole, one writer at a time, a manifest written last, resume and markers.

    store         files written whole (temporary name, then rename), safe names, run metadata
    folder        the names a results folder reserves, and write failures as one clear error
    lock          one gridgov process per output folder
    manifest      the manifest written last, and `verify` against it
    worklog       finished units of work kept until the folder is complete
    resume        finished replications of an interrupted `run` or `compare`
    markers       a batch scenario's `complete.json`
    code_version  the version of the code, which decides whether finished work is reused

Nothing is imported here: `import sim.results` stays light.
"""
