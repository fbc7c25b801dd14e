"""Evaluation: question set with evidence spans → qrels → runs → metrics → reports."""
