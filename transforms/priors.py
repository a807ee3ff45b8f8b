"""Expert starting values of the match model: P(level | class) per field, before any zone is seen.

They act as a prior worth K_* pairs in the EM (transforms.model), so a tiny zone leans on them and a
real zone's own counts dominate them. Level 0 (null) is unused.
"""

from __future__ import annotations

__all__ = ["DEFAULT_M", "DEFAULT_H", "DEFAULT_U", "DEFAULT_COUPLE", "DEFAULT_NAMESAKE", "DEFAULT_APART"]

# identifiers: exact, different, different_unchecked, different_same_ending, one_slip
_ID_M, _ID_H, _ID_U = [0, .965, .01, .02, .005, .005], [0, .001, .9, .099, .001, .0002], [0, .0005, .9, .0995, .001, .00005]
DEFAULT_M: dict[str, list[float]] = {
    "name": [0, .45, .04, .08, .02, .01, .01, .01, .005, .0005, .25, .08, .01, .005, .02, .005, .01, .002, .005, .002, .001],
    "dob": [0, .93, .01, .01, .02, .01, .02, .01],
    "tax_no": _ID_M, "business_no": _ID_M, "company_no": _ID_M, "other_no": _ID_M,
    "email": [0, .85, .03, .02, .02, .08],
    "phone": [0, .8, .2],
    "mobile": [0, .85, .15],
    "address": [0, .6, .15, .1, .05, .1],
    "orgs": [0, .95, .05],
    "contacts": [0, .7, .3],
    "groups": [0, .8, .2],
    "middle": [0, .75, .15, .1],
    "manager": [0, .7, .3],
    "source": [0, .05, .95],
    "name_count": [0, .9, .1],
}
# related-but-different classes: a couple (or family entities) at one address, namesakes (a parent and a
# child of one name, or two people who share a common name), and relatives or sister entities elsewhere
DEFAULT_COUPLE: dict[str, list[float]] = {
    "name": [0, .005, .005, .005, .01, .001, .6, .02, .15, .005, .005, .005, .05, .05, .01, .005, .005, .02, .03, .01, .05],
    "dob": [0, .002, .0005, .001, .005, .01, .98, .005],
    "tax_no": _ID_H, "business_no": _ID_H, "company_no": _ID_H, "other_no": _ID_H,
    "email": [0, .4, .01, .005, .05, .535],
    "phone": [0, .7, .3],
    "mobile": [0, .03, .97],
    "address": [0, .9, .04, .02, .02, .02],
    "orgs": [0, .1, .9],
    "contacts": [0, .3, .7],
    "groups": [0, .7, .3],
    "middle": [0, .01, .05, .94],
    "manager": [0, .6, .4],
    "source": [0, .35, .65],
    "name_count": [0, .5, .5],
}
DEFAULT_NAMESAKE: dict[str, list[float]] = {
    "name": [0, .5, .02, .05, .02, .001, .05, .01, .02, .1, .05, .01, .02, .01, .01, .1, .005, .01, .05, .01, .02],
    "dob": [0, .002, .0005, .001, .005, .01, .98, .005],
    "tax_no": _ID_H, "business_no": _ID_H, "company_no": _ID_H, "other_no": _ID_H,
    "email": [0, .05, .05, .01, .02, .87],
    "phone": [0, .4, .6],
    "mobile": [0, .03, .97],
    "address": [0, .4, .05, .1, .1, .35],
    "orgs": [0, .05, .95],
    "contacts": [0, .1, .9],
    "groups": [0, .5, .5],
    "middle": [0, .05, .1, .85],
    "manager": [0, .5, .5],
    "source": [0, .35, .65],
    "name_count": [0, .3, .7],
}
DEFAULT_APART: dict[str, list[float]] = {
    "name": [0, .02, .01, .02, .01, .001, .3, .05, .2, .02, .01, .01, .15, .2, .01, .01, .01, .01, .03, .01, .05],
    "dob": [0, .002, .0005, .001, .005, .01, .98, .005],
    "tax_no": _ID_H, "business_no": _ID_H, "company_no": _ID_H, "other_no": _ID_H,
    "email": [0, .05, .02, .005, .05, .875],
    "phone": [0, .1, .9],
    "mobile": [0, .01, .99],
    "address": [0, .1, .05, .1, .15, .6],
    "orgs": [0, .05, .95],
    "contacts": [0, .2, .8],
    "groups": [0, .4, .6],
    "middle": [0, .02, .08, .9],
    "manager": [0, .5, .5],
    "source": [0, .35, .65],
    "name_count": [0, .5, .5],
}
DEFAULT_H = [DEFAULT_COUPLE, DEFAULT_NAMESAKE, DEFAULT_APART]
DEFAULT_U: dict[str, list[float]] = {
    "name": [0, .0005, .0002, .001, .001, .0005, .02, .02, .55, .001, .0005, .001, .01, .39, .002, .0005, .0005, .001, .0005, .0005, .005],
    "dob": [0, .0003, .00002, .0003, .003, .01, .986, .001],
    "tax_no": _ID_U, "business_no": _ID_U, "company_no": _ID_U, "other_no": _ID_U,
    "email": [0, .003, .002, .001, .002, .992],
    "phone": [0, .005, .995],
    "mobile": [0, .002, .998],
    "address": [0, .003, .003, .02, .03, .944],
    "orgs": [0, .001, .999],
    "contacts": [0, .01, .99],
    "groups": [0, .05, .95],
    "middle": [0, .01, .07, .92],
    "manager": [0, .3, .7],
    "source": [0, .35, .65],
    "name_count": [0, .7, .3],
}
