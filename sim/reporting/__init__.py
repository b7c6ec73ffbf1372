"""What people read: text tables, charts in the house style, the results folder, the notebooks' functions, the
fit report.
"""
