"""Word lists the generator draws from: people's names, nicknames, streets, places, business words."""

from __future__ import annotations

MALE = (
    "Robert William James John Michael David Richard Thomas Christopher Daniel Matthew Anthony "
    "Andrew Joshua Benjamin Samuel Nicholas Jonathan Alexander Edward Charles Peter Stephen Timothy "
    "Patrick Gregory Kenneth Ronald Donald Raymond Lawrence Frederick Henry Joseph Jacob Nathan "
    "Liam Noah Oliver Jack Lachlan Harrison Cooper Mitchell Brendan Craig Wayne Shane Darren Glenn "
    "Aroha Tane Wiremu Rangi Hemi Mohammed Ahmed Wei Jun Raj Arjun Sanjay Vikram Minh Hiroshi "
    "Luca Marco Giovanni Dimitri Nikolaos Stavros Sione Tevita Hamish Angus Fergus Callum"
).split()
FEMALE = (
    "Elizabeth Margaret Catherine Katherine Jennifer Susan Patricia Deborah Rebecca Victoria "
    "Christine Jessica Samantha Alexandra Abigail Kimberly Pamela Barbara Dorothy Judith Helen "
    "Sarah Emma Olivia Charlotte Amelia Isla Mia Grace Chloe Sophie Hannah Emily Lucy Zoe Ruby "
    "Megan Natalie Michelle Nicole Rachel Kylie Leanne Tracey Melissa Joanne Karen Sharon "
    "Aroha Mere Kiri Ngaire Priya Anjali Mei Ling Yuki Fatima Aisha Maria Sofia Giulia Eleni "
    "Ana Losana Fiona Morag Isobel Eilidh Siobhan Niamh Maeve"
).split()
# formal given name -> nicknames people also go by
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"), "William": ("Bill", "Will", "Billy"), "James": ("Jim", "Jimmy"),
    "John": ("Jack", "Johnny"), "Michael": ("Mike", "Mick"), "David": ("Dave",), "Richard": ("Rick", "Dick"),
    "Thomas": ("Tom", "Tommy"), "Christopher": ("Chris",), "Daniel": ("Dan", "Danny"), "Matthew": ("Matt",),
    "Anthony": ("Tony",), "Andrew": ("Andy", "Drew"), "Joshua": ("Josh",), "Benjamin": ("Ben",),
    "Samuel": ("Sam",), "Nicholas": ("Nick",), "Jonathan": ("Jon",), "Alexander": ("Alex",),
    "Edward": ("Ed", "Ted"), "Charles": ("Charlie", "Chuck"), "Peter": ("Pete",), "Stephen": ("Steve",),
    "Timothy": ("Tim",), "Patrick": ("Pat",), "Gregory": ("Greg",), "Kenneth": ("Ken",),
    "Ronald": ("Ron",), "Donald": ("Don",), "Raymond": ("Ray",), "Lawrence": ("Larry",),
    "Frederick": ("Fred",), "Henry": ("Harry", "Hank"), "Joseph": ("Joe",), "Jacob": ("Jake",),
    "Nathan": ("Nate",), "Mitchell": ("Mitch",),
    "Elizabeth": ("Liz", "Beth", "Lizzie", "Betty"), "Margaret": ("Maggie", "Peggy", "Meg"),
    "Catherine": ("Cathy", "Kate"), "Katherine": ("Kathy", "Kate", "Katie"), "Jennifer": ("Jenny", "Jen"),
    "Susan": ("Sue", "Susie"), "Patricia": ("Pat", "Trish"), "Deborah": ("Deb", "Debbie"),
    "Rebecca": ("Becky", "Bec"), "Victoria": ("Vicky", "Tori"), "Christine": ("Chris", "Chrissy"),
    "Jessica": ("Jess",), "Samantha": ("Sam",), "Alexandra": ("Alex", "Lexi"), "Abigail": ("Abby",),
    "Kimberly": ("Kim",), "Pamela": ("Pam",), "Barbara": ("Barb",), "Dorothy": ("Dot",),
    "Judith": ("Judy",), "Natalie": ("Nat",), "Michelle": ("Shell",), "Melissa": ("Mel",),
    "Joanne": ("Jo",), "Isobel": ("Izzy",),
}
SURNAMES = (
    "Smith Jones Williams Brown Wilson Taylor Johnson White Martin Anderson Thompson Nguyen Thomas "
    "Walker Harris Lee Ryan Robinson Kelly King Davis Wright Evans Roberts Green Hall Wood Jackson "
    "Clarke Patel Khan Lewis James Phillips Mitchell Turner Campbell Cooper Edwards Morris Murphy "
    "Collins Stewart Hughes Baker Ward Morgan Parker Bell Young Allen Scott Hill Adams Nelson Carter "
    "Moore Clark Cook Rogers Reid Watson Bailey Cox Graham Kennedy Murray Price Bennett Gray Russell "
    "Shaw Hunt Ellis Chapman Webb Lawrence Mills Fraser Marshall Gibson Grant Palmer Hamilton Hayes "
    "Ferguson Wallace Stevens Owen Fisher Harvey Dixon Porter Rose Simpson Matthews Knight Fox Lloyd "
    "Tran Le Pham Wong Chen Zhang Wang Li Liu Singh Kaur Sharma Gupta Kumar Papadopoulos Russo Rossi "
    "Ricci Costa Romano Esposito Ngata Parata Tipene Tuhoe Horomona Walsh Byrne Doyle Quinn Gallagher "
    "McDonald MacKenzie McLeod O'Brien O'Connor O'Neill D'Souza Fitzgerald Sullivan Brennan Dunn "
    "Lindqvist Jensen Hansen Muller Schmidt Fischer Weber Becker Hoffmann Novak Kowalski Ivanov "
    "Petrov Haddad Nasser Yilmaz Demir Tanaka Suzuki Sato Kim Park Choi Silva Santos Pereira Oliveira "
    "Barnes Crawford Holmes Henderson Lambert Sutton Burke Pearce Foster Gordon Stone Hudson Payne "
    "Sinclair Beaumont Whitfield Ashby Thornton Kingsley Radcliffe Pemberton Fairweather Blackwood"
).split()
SUFFIX_WORDS = ("Jr", "Sr")
TITLES_M, TITLES_F = ("Mr", "Dr"), ("Mrs", "Ms", "Miss", "Dr")

BUSINESS_WORDS = (
    "Plumbing Electrical Consulting Building Landscaping Carpentry Roofing Painting Transport "
    "Logistics Design Marketing Medical Dental Physio Legal Engineering Cafe Bakery Catering "
    "Automotive Mechanical Fitness Photography Cleaning Security Tiling Concreting Fencing Joinery"
).split()
HOLDING_WORDS = ("Holdings", "Investments", "Properties", "Enterprises", "Group", "Capital", "Nominees")
TRUST_WORDS = ("Family", "Investment", "Property", "Discretionary", "Testamentary")
CHARITY_WORDS = ("Foundation", "Community Trust", "Education Trust", "Animal Rescue Trust", "Scholarship Fund")
SOCIETY_WORDS = (
    "Tennis Club", "Rugby Football Club", "Bowling Club", "Kindergarten Association", "Garden Society",
    "Pipe Band", "Surf Life Saving Club", "Cricket Club", "Choral Society", "Netball Club",
)
PLACES = ("Riverside", "Hillcrest", "Seaview", "Northern", "Eastern", "Westside", "Southern Cross", "Harbour")

STREETS = (
    "Main George King Queen Victoria Elizabeth Church High Station Park Bridge Mill Railway William "
    "Albert Edward Charlotte Anzac Beach Ocean Hill Forest Oak Elm Pine Wattle Banksia Kauri Rimu "
    "Totara Pohutukawa Jacaranda Grevillea Marine Esplanade Cambridge Oxford Wellington Nelson Grey"
).split()
# street type: the spellings people use for it
STREET_TYPES: dict[str, tuple[str, ...]] = {
    "Street": ("St", "St."), "Road": ("Rd", "Rd."), "Avenue": ("Ave", "Av"), "Drive": ("Dr",),
    "Place": ("Pl",), "Crescent": ("Cres", "Cr"), "Court": ("Ct",), "Terrace": ("Tce",),
    "Parade": ("Pde",), "Lane": ("Ln",), "Highway": ("Hwy",), "Close": ("Cl",),
}
# region -> (city or suburb, state or region, postcode)
LOCALITIES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "AU": (
        ("Parramatta", "NSW", "2150"), ("Bondi", "NSW", "2026"), ("Chatswood", "NSW", "2067"),
        ("Newcastle", "NSW", "2300"), ("Wollongong", "NSW", "2500"), ("Penrith", "NSW", "2750"),
        ("Richmond", "VIC", "3121"), ("Geelong", "VIC", "3220"), ("Ballarat", "VIC", "3350"),
        ("Frankston", "VIC", "3199"), ("Brunswick", "VIC", "3056"), ("Toowoomba", "QLD", "4350"),
        ("Southport", "QLD", "4215"), ("Cairns", "QLD", "4870"), ("Townsville", "QLD", "4810"),
        ("Fremantle", "WA", "6160"), ("Joondalup", "WA", "6027"), ("Glenelg", "SA", "5045"),
        ("Norwood", "SA", "5067"), ("Hobart", "TAS", "7000"), ("Launceston", "TAS", "7250"),
        ("Belconnen", "ACT", "2617"), ("Darwin", "NT", "0800"),
    ),
    "NZ": (
        ("Ponsonby", "Auckland", "1011"), ("Takapuna", "Auckland", "0622"), ("Manukau", "Auckland", "2104"),
        ("Hamilton", "Waikato", "3204"), ("Tauranga", "Bay of Plenty", "3110"), ("Rotorua", "Bay of Plenty", "3010"),
        ("Napier", "Hawke's Bay", "4110"), ("Palmerston North", "Manawatu-Whanganui", "4410"),
        ("Lower Hutt", "Wellington", "5010"), ("Karori", "Wellington", "6012"), ("Nelson", "Nelson", "7010"),
        ("Riccarton", "Canterbury", "8041"), ("Timaru", "Canterbury", "7910"), ("Dunedin", "Otago", "9016"),
        ("Queenstown", "Otago", "9300"), ("Invercargill", "Southland", "9810"),
    ),
    "UK": (
        ("Manchester", "Greater Manchester", "M1 1AE"), ("Leeds", "West Yorkshire", "LS1 4DY"),
        ("Bristol", "Bristol", "BS1 5TR"), ("Edinburgh", "Midlothian", "EH1 1YZ"), ("Cardiff", "Glamorgan", "CF10 1EP"),
        ("Brighton", "East Sussex", "BN1 1AA"), ("York", "North Yorkshire", "YO1 7HH"),
    ),
    "US": (
        ("Austin", "TX", "78701"), ("Denver", "CO", "80202"), ("Portland", "OR", "97205"),
        ("Boston", "MA", "02108"), ("San Diego", "CA", "92101"), ("Seattle", "WA", "98101"),
    ),
    "ROW": (
        ("Singapore", "", "018956"), ("Johannesburg", "Gauteng", "2001"), ("Toronto", "ON", "M5H 2N2"),
        ("Dublin", "Leinster", "D02 X285"), ("Hong Kong", "", ""),
    ),
}
COUNTRY: dict[str, tuple[str, ...]] = {  # region -> spellings of the client's country
    "AU": ("Australia", "AU", "AUS"), "NZ": ("New Zealand", "NZ", "NZL"), "UK": ("United Kingdom", "GB", "UK"),
    "US": ("United States", "US", "USA"), "ROW": ("Singapore", "South Africa", "Canada", "Ireland"),
}
EMAIL_DOMAINS: dict[str, tuple[str, ...]] = {
    "AU": ("gmail.com", "bigpond.com", "outlook.com", "optusnet.com.au", "icloud.com"),
    "NZ": ("gmail.com", "xtra.co.nz", "outlook.com", "slingshot.co.nz", "icloud.com"),
    "UK": ("gmail.com", "btinternet.com", "outlook.com", "yahoo.co.uk"),
    "US": ("gmail.com", "yahoo.com", "outlook.com", "icloud.com"),
    "ROW": ("gmail.com", "outlook.com", "yahoo.com"),
}
TLD = {"AU": ".com.au", "NZ": ".co.nz", "UK": ".co.uk", "US": ".com", "ROW": ".com"}
PRACTICE_WORDS = (
    "Accounting", "Advisory", "Partners", "Chartered Accountants", "Business Advisers", "Tax & Accounting",
    "& Associates", "Financial",
)
CUSTOM_FIELDS = (  # (name, value type)
    ("Year End", "date"), ("Annual Fee", "number"), ("Engagement Signed", "boolean"),
    ("Referral Source", "text"), ("Preferred Contact", "text"),
)
REFERRALS = ("Google", "Existing client", "Bank manager", "Website", "Word of mouth", "Seminar")
POSITIONS = ("Director", "Bookkeeper", "Office Manager", "Partner", "Spouse", "Financial Controller", "Owner")
