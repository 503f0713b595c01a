"""The deterministic extractor: message -> `GroundedDelta` with rules and the catalog vocabulary.

It is the whole extractor in `none` mode and the polarity/negation check behind the LLM in the
other modes. It reads clauses (split at "but", "however", sentence ends ...), decides each span's
polarity from the cues before it in its clause, and links spans through grounding. Does not
resolve references further back than the last shown recommendations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from chatrec.dialogue.grounding import _COMMON_WORDS, KEYWORD_PHRASES, Vocabulary, _english_words, normalize
from chatrec.dialogue.schema import Feedback, GroundedDelta, Preference
from chatrec.dialogue.verdict import VerdictModel

RECENT_YEAR_MIN = 2015
OLD_YEAR_MAX = 1969
BLACK_AND_WHITE_YEAR_MAX = 1959

_NEG = re.compile(
    r"\b((?<!nothing )(?<!nothing is )(?<!nothing's )(?<!nothings )more (?:fun|exciting|interesting|entertaining|appealing|gripping|thrilling|enjoyable) than (?:watching |sitting through |seeing )?(?:yet )?(?:another|one more|a|an|the|any|some)?|"
    r"not a fan|not into|not big on|not really into|anything but|other than|rather not|stay away|can'?t stand|"
    r"cannot stand|no|not|don'?t|do not|doesn'?t|didn'?t|never|hate[sd]?|hating|dislike[sd]?|can'?t stand|cannot stand|"
    r"can'?t bear|avoid|without|nothing|none|isn'?t|aren'?t|won'?t|wouldn'?t|skip|sick of|tired of|"
    r"anything but|other than|except|not a fan|not into|rather not|stay away|nope|nah|nothin'?|detest|loathe|"
    r"bored of|enough of|less|aversion|burn(?:t|ed) out on|allergic to|can'?t do|cannot do|"
    r"didn'?t get the hype (?:around|about|for|of)|can'?t handle|cannot handle|scare[sd]? me|too much|bores? me|boring|"
    r"not for me|aren'?t for me|isn'?t for me|not my thing|not my cup of tea|please don'?t|no more|sick of|"
    r"never liked|did not like|didn'?t like|hated|dislike|can'?t get into|couldn'?t get into|never (?:really )?got into|"
    r"not in the mood for|pass on|spare me|done with|had enough of|neither|nor|hard pass|(?:i'?m|so|totally|kinda) over|"
    r"can'?t sit through|cannot sit through|couldn'?t sit through|the last thing i want|minus|aside from|apart from|"
    r"as long as (?:it'?s|its) not|(?:kept|keep) (?:checking|looking at|glancing at) how much of|(?:as|so) long as (?:nobody|no one|noone|nothing|there'?s no|there are no)(?:'?s| is| are| gets?)?|enough with|no more|(?:ditch|scrap)(?! (?:the|that|this|our|my|tonight'?s) (?:plan|idea|list)s?\b)|(?:zero|no|little) interest in|sick to death of|"
    r"can'?t be bothered with|zero|steer clear of|keep clear of|couldn'?t stand|couldnt stand|cant stand|"
    r"(?:i'?ve|have|i) outgrown|grown out of|(?:had|'ve had|have had) (?:my|our) fill of|wanted (?:so (?:badly|bad|much) )?to (?:like|love|enjoy|get into)|tried (?:so hard )?to (?:like|love|get into)|(?:guaranteed|instant|certified|automatic|surefire|sure-fire) (?:nap|snooze|sleeping pill)|"
    r"until (?:it|they) (?:turns?|becomes?|goes|go|gets?|devolves?|descends?)(?: into)?|not a huge fan of|ugh|veto(?:ing|ed)?|had it up to here with|(?:i'?ve|ive|i have|i) had it with|couldn'?t get through|couldnt get through|not sold on|draw the line at|go easy on|easy on the|light on the|unless (?:it'?s|its|it is|there'?s|theres|there is) (?:an? |some )?|(?:seen|watched|had) (?:more than )?enough|(?:rather|sooner) (?:[\w']+ ){1,6}than(?: (?:sit through|watch|see|endure|suffer through))?)\b", re.I)
_POSTFIX_NEG = re.compile(r"\b(bores? me|boring|"
                          r"(?:completely |totally |kinda |just )?(?:lost|lose|losing) (?:the|my) (?:thread|plot)|"
                          r"(?:the|my|a) \w+ (?:was|is) (?:way |far |much |a lot |honestly )?more (?:gripping|interesting|exciting|entertaining|fun|thrilling|engaging|suspenseful)\b(?! than)|(?:did not|didn'?t|didnt|do not|don'?t|does not|doesn'?t) (?:really |quite )?land\b|"
                          r"(?:i'?m|im|i am) (?:so |just |already )?(?:gone|walking out|out of there|outta there)|(?:walk|walking) out\b|"
                          r"(?:more )?(?:my|our) (?:wife|husband|partner|bf|gf|boyfriend|girlfriend|kids?|mom|dad|brother|sister|roommate)'?s thing than (?:mine|ours)|(?:sounds?|looks?|seems?|feels?) like (?:an? )?(?:lecture|homework|school|a chore|class)|"
                          r"aren'?t for me|isn'?t for me|not for me|(?:is|are)n'?t (?:really )?my thing|"
                          r"not (?:really )?my (?:thing|style|jam|vibe|cup of tea)|scares? me|suck|sucks|sucked|"
                          r"are the worst|is the worst|was the worst|overrated|(?:is|are) getting old|(?<!never )gets? old|hard pass|(?:is|are) a pass|"
                          r"never (?:really )?clicks? (?:for|with) me|(?:don'?t|doesn'?t|never) (?:really )?(?:work|click|land)s? for me|"
                          r"puts? (?:me|us|my \w+(?: and me)?) (?:right )?to sleep|(?:can'?t|cant|cannot) be bothered(?: with (?:them|it|those|that|these))?|gives? me nightmares|away from me|off the list|i'?m good on|"
                          r"can'?t take|(?:is|are) too (?:scary|depressing|sad|slow|long|boring|much|violent|gory)|get on my nerves|gets on my nerves|annoy me|"
                          r"annoying|make me sick|drives? me (?:up the wall|crazy|nuts|insane|mad|bonkers)|hated it|hate it|"
                          r"didn'?t do (?:it|much|anything) for me|did nothing for me|does nothing for me|do nothing for me|put me to sleep|"
                          r"puts me to sleep|fell flat|couldn'?t finish|turned it off|not so much|(?:was|is) (?:pure |such )?torture|"
                          r"(?:an? )?(?:automatic|instant|hard|big) no|keep (?:em|'em|them|those|these|it|that) (?:out|away)\b|(?:crawl|hide) (?:under|behind) (?:the|my) (?:couch|sofa|blanket|covers|bed)|(?:the )?(?:tv|telly|screen|movie|it) (?:goes|gets turned|gets switched) off|"
                          r"(?:is|was|'s) (?:just |basically |literally |really |essentially |honestly |nothing but )?(?:an?|one long|a long|a two-hour|a 2 hour) (?:\w+ ){0,2}(?:ad|advert|advertisement|commercial|infomercial|screensaver)\b|makes? me (?:want to |wanna )?(?:change|switch|flip|turn off) (?:the )?(?:channel|tv|station)|(?:makes? me )?reach for the remote|(?:kept|keep|was|were) (?:checking|looking at|glancing at) (?:how much (?:of \w+ )?(?:was|is) left|how long (?:was|is) left|the (?:time|clock)|my (?:phone|watch))|rooting for (?:the|a|an) \w+ to\b|(?:kind of |kinda |a bit of |a |such a |always a )?(?:tough|hard) sell\b|(?:i'?ll|ill|i will) pass\b|(?:can|could|should|will|may) stay on the shelf|(?:i'?d|id|i would|i'?ll|ill|i will|i'?m|im|i am) (?:be )?(?:fast |sound |dead )?asleep\b|(?:i'?d|id|i would|i'?ll|ill|i will) (?:fall asleep|nod off|doze off|pass out)|hard to get (?:excited|invested|into (?:it|them|that))|(?:(?<=\bone )|(?<=\bit )|(?<=\bthat )|(?<=\bfilm )|(?<=\bmovie ))(?:drags|dragged)\b|(?:drags|dragged|dragging) on\b|(?:(?:is|are|'s|'re|s|re) )?(?:\w+ )?off the (?:menu|table|cards)\b|out of it|(?:far |well |way )*away from (?:me|my \w+|us|it|this|that|them|the (?:movie|film|pick|list|screen))|"
                          r"(?:don'?t|doesn'?t|didn'?t) (?:really )?do it for me|(?:just )?didn'?t get (?:it|the hype)|"
                          r"bored me|(?:kinda |so |pretty |really )?tedious|(?:is|are|'s|'re) (?:just |way |a bit |kinda )?too \w+ for me|"
                          r"i'?d (?:rather )?skip (?:those|them|it|that|these)|(?:ha(?:ve|s)|'ve) never done (?:anything|much) for me|"
                          r"(?:is|are)n'?t (?:really )?(?:my |our |the )?\w+'?s?'? thing|(?:is|are|was|were) (?:so |really |pretty )?"
                          r"(?:terrible|awful|trash|garbage|horrible|lame|bad|dumb|stupid|cringe|cringey|a letdown|disappointing)|"
                          r"grates? on me|(?:kind of |kinda |such |a real |a total )?(?:a )?slog|feels? like (?:homework|a chore|work)|"
                          r"(?:is|are) my (?:personal )?hell|(?:doesn'?t|don'?t|didn'?t) grab me|not feeling (?:it|them|that|those)|"
                          r"(?:is|are|'s|'re|was|were) (?:both |all |each |just |kinda |pretty much )?(?:an? )?(?:big |fat |hard |total |complete |absolute |firm |solid |definite |straight )*"
                          r"(?:no[- ]go|nope|non-?starter|deal ?-?breaker|never|no from me)|"
                          r"(?:make|makes|made) me (?:wanna|want to) (?:gouge|scream|cry|puke|throw up|hurl|vomit|die|leave|walk out|claw|rip|tear|pull)|"
                          r"puts? me in a coma|(?:make|makes|made|give|gives|gave) me (?:\w+ )?(?:sick|a headache|headaches|nauseous|queasy)|"
                          r"(?:never|didn'?t|don'?t|doesn'?t) (?:really )?(?:did|do|does)? ?(?:much|anything|a lot) for me|"
                          r"(?:can'?t|cannot|couldn'?t|just can'?t) (?:really )?get into (?:them|it|those|that|these)|"
                          r"tapped out|gave up (?:on it|after|halfway)|bailed (?:on it|after|halfway)|"
                          r"(?:way|far|much|just|a bit|kinda|a little) too \w+ for (?:me|us)|(?:i'?ve|have) outgrown (?:them|it|those|that)|"
                          r"over-?(?:hyped|r?ated)|(?:was|is) (?:so |kinda |kind of |pretty |really )?mid|i'?d rather not|id rather not|"
                          r"(?:do not|don'?t|never) get along|(?:isn'?t|aren'?t|isnt|arent) (?:really )?doing it for me|"
                          r"falls? flat|(?:have |has )?worn out (?:their|its) welcome|wore out (?:their|its) welcome|"
                          r"(?:is|are)n'?t (?:really )?my (?:scene|speed|bag)|arent (?:really )?my (?:scene|speed|bag|thing|jam)|"
                          r"never (?:really )?(?:understood|got|saw|get) the (?:appeal|hype|point|fuss)|annoys? me|"
                          r"(?:was|is|were) (?:so |really |pretty |just )?(?:painful|unwatchable|a waste of time|a snooze)|never again|"
                          r"(?:i'?m|im) out(?! of)|waiting for it to get good|(?:i'?ve|have) had it with|"
                          r"(?:don'?t|dont|do not|never|have never|haven'?t|havent|didn'?t|didnt|just don'?t) (?:really |ever |quite )?"
                          r"(?:get along|gotten along|got along|see eye to eye|seen eye to eye|saw eye to eye|mesh|gel|vibe)|"
                          r"feels? (?:so |really |pretty |kinda |just |a bit |way too )?(?:cheap|dated|tired|stale|lazy|forced|samey|formulaic|predictable|icy|wooden|stiff|smug|fake|"
                          r"the same|like a rerun)|(?:like )?nails on (?:a |the )?chalk ?board|(?:is|are|'s|'re) dead to me|"
                          r"(?:an? )?(?:hard|instant|automatic|big|easy) skip|(?:i )?(?:tune|tuned|zone|zoned|check|checked) out|(?:nod|nodded|doze|dozed) off|"
                          r"(?:is|are|'s|'re) out for (?:me|us)|(?:is|are|'s|'re) (?:a )?(?:tough|hard|harder|tougher) sells?|(?:have|has|got|'ve got) (?:some |real |serious )?beef|(?:is|are|'s|'re) (?:just )?(?:a lot|a bit much|kinda a lot|kind of a lot) for (?:me|us)|(?:is|'s) (?:roughly |about |basically |pretty much |practically |close to |like |literally )?(?:zero|nil|nonexistent|non-existent)|(?:i |my eyes )?glaze over|(?:was|is|'s) (?:an? )?(?:hard |big |firm |solid )?no for (?:me|us)|keep veto(?:ing)? (?:them|it|those|that)|turns? my (?:brain|head) (?:in)?to (?:mush|static|tv static|soup|jelly|oatmeal)|(?:is|are) out(?: too| as well)?\b(?! there| of| now| yet| in | on | today| soon| this)|"
                          r"(?:(?:have|has) )?been bled dry|(?:been )?done to death|played out|overdone|beaten to death|milked dry|"
                          r"lost me|loses? me|(?:leaves?|left) me (?:in a funk|depressed|gutted|miserable|drained|wrecked|cold)|bums? me out|brings? me down|"
                          r"(?:can'?t|cannot|cant) do (?:it|them|those|that)|(?:such |a real |a total |kind of |kinda )?a drag|"
                          r"(?:i'?d|id|i would) (?:honestly |literally |genuinely |much )?(?:rather|sooner) (?:get|have|do|eat|watch|sit through|take|go|stare)\b|(?:did|does|do) (?:absolutely |literally |just |really )?nothing for me|"
                          r"wears? (?:me|us) out|wore (?:me|us) out|tires? (?:me|us) out|exhausts? (?:me|us)|(?:has|have|'s) run (?:its|their) course|"
                          r"tap(?:ping|ped)? out|(?:don'?t|dont|do not) (?:really |even )?get the (?:hype|appeal)|"
                          r"(?:stress|stresses|stressed|freak|freaks|freaked|bum|bummed|gross|grosses|grossed|weird|weirds|weirded) (?:me|us) out|"
                          r"drag(?:s|ged)? on\b(?! (?:the|a|an|my|your)\b)|drag(?:s|ged) for (?:me|us)|(?:tests?|tested|tries|tried|trying) (?:my|our) patience|"
                          r"turn(?:s|ed)? (?:my|our) stomach|(?:did|does|do) (?:absolutely |literally |just |really )?(?:zilch|squat|nada|zip|jack) for (?:me|us)|"
                          r"outgrew (?:them|it|those|that|these|\w+ )?|(?:is|are|was|were)(?:n'?t| not) what (?:i'?d|i would|id) call (?:an? )?(?:fun|good|great|relaxing|nice)|not my idea of (?:an? )?(?:fun|good time|great time|night)|"
                          r"(?<=, )not (?:mine|ours)\b|(?<=, )(?:pass|skip|hard pass|no thanks|nah)(?=\s*$)|kept checking (?:how much (?:time )?was left|the (?:time|clock)|my (?:phone|watch))|"
                          r"(?:is|are|'s|'re) (?:just |so |really |kinda |pretty |honestly )?(?:exhausting|draining|tiring|grating|insufferable|unbearable)(?: (?:to|for) me)?|"
                          r"(?:found|find|finds) (?:it|them|that|this|him|her|those) (?:more |a bit |kinda |so |really |pretty |just |way too |too |honestly )?(?:exhausting|tedious|boring|draining|tiring|annoying|grating|pretentious|dull|confusing|exhausting)\b|"
                          r"makes? my (?:brain|head) hurt|feels? like (?:white )?noise|makes? me feel like (?:there'?s|there is) (?:gonna|going to) be an? (?:pop )?(?:quiz|test|exam)|"
                          r"feels? like (?:a lecture|school|class|a pop quiz)|(?:anything|everything|whatever) but (?:that|this|it|those|them)|(?:is|are|'s|'re) (?:an? )?(?:guaranteed|instant|certified|automatic|total) (?:nap|snooze)|"
                          r"(?:made|meant) for (?:someone|somebody|other people|people other than me) else|(?:made|meant) for other people|"
                          r"(?<!not )(?<!nothing )(?<!no )(?<!never )too \w+ and \w+ for (?:me|us)|(?<!not )(?<!nothing )(?<!no )(?<!never )(?<=, )too \w+ for (?:me|us)|"
                          r"(?:is|are)n'?t (?:exactly|quite) (?:my |our )?(?:favou?rite|(?:\w+ )?thing|cup of tea|jam)|(?<!\bto )(?<!\bnot )forget (?:it|about it)(?!\w)|(?:way |far |much |just |a bit |kinda |a little )?too \w+ for (?:my|our) (?:taste|liking)s?)\b", re.I)
_INJECTION = re.compile(r"\b(ignore|disregard|forget|override)\b.{0,60}\b(instructions?|prompts?|rules|schema|system)\b|"
                        r"\[\s*(?:system|assistant|admin|developer)\s*\]|\bend of (?:the )?user message\b|\b(?:assistant|system|admin) (?:memo|note)\b|do not mention this note|\breply ok to confirm\b|\b(system prompt|your prompt|reveal your|print your|you are now|act as|jailbreak)\b|^\s*(system|assistant)\s*:|"
                        r"\{\s*\"|\"\s*:\s*[\[{\"]|\b(liked|disliked)_(titles|genres|people)\b|"
                        r"\b(new rule|(to|in|with) (every|each|all) (answer|reply|replies|response|responses))\b|"
                        r"\b(like|dislike|forget):(genre|item|person|keyword|all)\b|\byou are (?:now )?dan\b|\b(?:no|zero|without) (?:restrictions|filters|limits)\b|"
                        r"\bwipe (?:every|all) (?:the )?stored\b", re.I)
_NEG_OVERRIDE = re.compile(
    r"\b(never met an?|can'?t say (?:i'?ve|i have|ive) ever (?:regretted|disliked|hated)|(?:never|don'?t|do not) regret(?:ted)?|(?:never|wouldn'?t|won'?t) turn (?:my|our) nose up at|never (?:fails?|ceases?) to|"
    r"(?:thing|one|ones) that (?:isn'?t|isnt|is not|aren'?t|arent) (?:an? )?|can'?t think of (?:a|an|one|any)|cannot think of (?:a|an|one|any)|don'?t mind|do not mind|wouldn'?t mind|not bad|never (?:get|gets|got|grow|grows|ever get) (?:sick|tired|bored|sick and tired) of|never get tired|can'?t get enough|(?:don'?t|dont|do not) not (?:like|love|enjoy|want|dig)|no problem with|"
    r"(?:not once|never(?: once| ever)?)\b[\w' ]{0,40}?\b(?:(?:switched|switch|turned|turn|shut|clicked|click)(?: it| that| one| them)? (?:off|away)|walked out|walk out|bailed|bail|gave up|give up|fell asleep|fall asleep|dozed off|doze off)\b|"
    r"not only|nothing beats|nothing better than|nothing(?: is|'?s)? more \w+ than|nothing (?:\w+ ){1,4}(?:quite |really |just )?like (?:an? |the )?|nothing (?:hits|scratches|compares|comes close)|not opposed|not against|never say no|no such thing as (?:an? )?(?:bad|boring|dull)|"
    r"nothing (?:would |could |will |'?d |can )?makes? (?:me|us) (?:\w+ )?happier|(?:wouldn'?t|wouldnt|would not|won'?t|wont|isn'?t|isnt|not|never) (?:be )?(?:the )?worst (?:thing|idea|choice|pick)|wouldn'?t say no|no matter|can'?t go wrong|"
    r"(?:habit|itch|addiction) (?:that )?(?:i |we )?(?:can'?t|cant|cannot) (?:kick|shake|quit)|twist (?:my|our) arm|(?:can'?t|cant|cannot) pretend (?:i'?m|im|i am|we'?re) not|"
    r"(?:hasn'?t|hasnt|has not|never|haven'?t|havent|have not) (?:ever )?made a (?:single )?(?:bad|weak|boring|dud|lousy)\b|(?:you )?(?:can'?t|cant|cannot) convince me otherwise|"
    r"(?:zero|no|not an ounce of|without (?:any )?) shame|not (?:even )?ashamed|unashamed(?:ly)?|shameless(?:ly)?|too much to ask|"
    r"not saying no to|no exaggeration|not (?:even )?exaggerating|no lie|no joke|not kidding|no kidding|"
    r"keep (?:them|it|the|those) coming|never gets? old|not not|(?:wouldn'?t|wouldnt|would not|won'?t|never) kick\b|never gets? (?:any )?less|"
    r"(?:never|wouldn'?t|won'?t) turn (?:it |them )?down|"
    r"(?:don'?t|do not|doesn'?t|wouldn'?t) hate|(?:has|have|'ve|'s) grown on me|"
    r"(?:no way|not like|not that|it'?s not like) (?:i|we)(?:'m|m| am| are|'re)? (?:not|can'?t|cannot|don'?t|won'?t|wouldn'?t))\b", re.I)
_POS = re.compile(r"\b((?<!feel )(?<!feels )(?<!felt )(?<!looks )(?<!sounds )(?<!seems )(?<!\bare )(?<!\bis )(?<!\bwas )(?<!\bwere )like[sd]?(?! (?:an? |\d)(?:hour|minute|min|half|few|couple|\d))(?! (?:one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|forty|fifty|sixty) (?:hour|minute|min|second|sec|day|week)s?\b)"
                  r"(?<!\w (?<!\bi )(?<!\bwe )(?<!would )(?<!i'd )(?<!really )(?<!totally )like(?= (?:that|this|those|these)\b))|"
                  r"love[sd]?(?! stor(?:y|ies)\b)|enjoy(ed|s)?|into|fan of|bring (?:on|me)|(?:just |really |totally )?gets? me\b(?! (?:down|wrong))|(?:a )?whole(?: \w+)? different story|"
                  r"(?<!makes me )(?<!make me )(?<!made me )(?:want|wanna)|need(?! to\b)|lookin'?g? for|mood for|prefer|bonus(?: points)? if|extra points if|even better if|"
                  r"(?:is|was|were|are) (?:so |really |pretty |just |absolutely )?(?:brilliant|amazing|awesome|great|fantastic|"
                  r"incredible|excellent|perfect|a masterpiece|a classic|hilarious)|"
                  r"(?<!exactly my )(?<!quite my )(?<!not my )(?<!n't my )(?<!nt my )favou?rite|adore[sd]?|please(?! (?:just )?(?:skip|no|don'?t|avoid|spare|not|leave|keep|stop|stay))|recommend|suggest|how about|what about|show me|give me(?! (?:a )?(?:headaches?|nightmares|the creeps|the ick|anxiety))|"
                  r"interested in|fond of|big on|craving|(?:a )?sucker for|(?:my )?happy place|count me in|sign me up|(?:i'?d|id|i would|i'?ll|i will) (?:even |happily |gladly |honestly |totally )?(?:take|settle for)\b|(?:cured|cures|fixed|fixes|lifted|lifts|saved|saves|made|makes|chased away) my (?:\w+ ){0,2}?(?:gloom|blues|funk|mood|day|week|night|weekend|evening|year|sadness|boredom|slump)\b|(?:we'?re|we are|i'?m|i am) doing(?= [\w' ]{1,30}\b(?:now|tonight|instead)\b)|(?:cave|caving)(?: in)? (?:on|for)|(?:my )?catnip|(?:(?<=\bi )|(?<=\bwe )|(?<=\bi'd )|(?<=kinda )|(?<=really ))feel like|yes|gimme|hit me with|pls|plz|"
                  r"(?:would be|is|'d be) a (?:plus|bonus)|(?:kills|killed|slays|slayed) me\b(?! inside)|(?:i'?m|im|i am|we'?re) sold|let'?s (?:do|go with|go for|try|watch|get|have)|"
                  r"(?<!\bno )(?<!\bany )more of an?(?! (?:chore|slog|drag|pain|mess|stretch|problem|letdown|disappointment)\b)|on an? (?:big |huge |massive |real |serious |total |major )?(?=[\w -]{1,30}\bkick\b))\b", re.I)
_CLAUSE_SPLIT = re.compile(r"(?:(?:[!?;\n]|(?<!\bmr)(?<!\bmrs)(?<!\bms)(?<!\bdr)(?<!\bst)(?<!\bjr)(?<!\bvs)\.(?!\d))+|(?<!anything )(?<!everything )(?<!all )\bbut\b|\bhowever\b|\bthough\b|\balthough\b|\bwhereas\b|\byet\b(?! (?:another|again|more|one more)\b))", re.I)

_MOODS: dict[str, str] = {
    "feel good": "feel-good", "feel-good": "feel-good", "feelgood": "feel-good", "uplifting": "uplifting",
    "heartwarming": "heartwarming", "heart warming": "heartwarming", "dark": "dark", "gritty": "gritty",
    "light hearted": "lighthearted", "lighthearted": "lighthearted", "light-hearted": "lighthearted",
    "mind bending": "mind-bending", "mind-bending": "mind-bending", "mindbending": "mind-bending",
    "twist": "twist ending", "twists": "twist ending", "plot twist": "twist ending", "plot twists": "twist ending", "twist ending": "twist ending",
    "thought provoking": "thought-provoking", "thought-provoking": "thought-provoking",
    "inspiring": "inspiring", "inspirational": "inspiring", "emotional": "emotional", "sad": "sad",
    "tearjerker": "tearjerker", "tear jerker": "tearjerker", "tearjerkers": "tearjerker", "tear jerkers": "tearjerker", "quirky": "quirky", "weird": "weird",
    "cult": "cult", "epic": "epic", "slow burn": "slow burn", "fast paced": "fast-paced",
    "violent": "violence", "violence": "violence", "gory": "gore", "gore": "gore", "wholesome": "wholesome", "cheesy": "cheesy",
    "campy": "campy", "cozy": "cozy", "witty": "witty", "clever": "clever", "intense": "intense",
    "atmospheric": "atmospheric", "relaxing": "relaxing", "silly": "silly", "cute": "cute",
    "superhero": "superhero", "superheroes": "superhero", "super hero": "superhero", "zombie": "zombie",
    "zombies": "zombie", "vampire": "vampire", "vampires": "vampire", "alien": "alien", "aliens": "alien", "alien invasion": "alien invasion", "alien invasions": "alien invasion",
    "robot": "robot", "robots": "robot", "space": "space", "outer space": "space", "time travel": "time travel",
    "time traveling": "time travel", "time-travel": "time travel", "dinosaur": "dinosaur", "dinosaurs": "dinosaur",
    "high school": "high school", "christmas": "christmas", "holiday": "holiday", "halloween": "halloween",
    "shark": "shark", "sharks": "shark", "snake": "snake", "snakes": "snake", "clown": "clown", "clowns": "clown", "spider": "spider", "spiders": "spider",
    "torture": "torture", "torture scene": "torture", "torture scenes": "torture", "space opera": "space opera", "space operas": "space opera", "mockumentary": "mockumentary", "mockumentaries": "mockumentary", "time loop": "time loop", "time loops": "time loop",
    "gross-out": "gross-out", "gross out": "gross-out", "sword and sorcery": "sword and sorcery", "dragon": "dragon", "dragons": "dragon", "magic": "magic",
    "wizard": "wizard", "wizards": "wizard", "spy": "spy", "spies": "spy", "espionage": "spy",
    "martial arts": "martial arts", "kung fu": "kung fu", "car chase": "car chase", "car chases": "car chase",
    "road trip": "road trip", "post apocalyptic": "post-apocalyptic", "post-apocalyptic": "post-apocalyptic",
    "apocalypse": "apocalypse", "dystopian": "dystopian", "dystopia": "dystopian", "survival": "survival",
    "monster": "monster", "monsters": "monster", "ghost": "ghost", "ghosts": "ghost", "haunted": "haunted",
    "haunted house": "haunted house", "serial killer": "serial killer", "serial killers": "serial killer",
    "pirate": "pirate", "pirates": "pirate", "treasure": "treasure", "coming of age": "coming of age",
    "friendship": "friendship", "revenge": "revenge", "heist": "heist", "heists": "heist", "robbery": "heist", "robberies": "heist", "bank job": "heist", "robbing a bank": "heist", "robbing a casino": "heist", "dog": "dog",
    "dogs": "dog", "cat": "cat", "cats": "cat", "penguin": "penguin", "penguins": "penguin", "whale": "whale", "whales": "whale",
    "dolphin": "dolphin", "dolphins": "dolphin", "elephant": "elephant", "elephants": "elephant", "horse": "horse", "horses": "horse",
    "wolf": "wolf", "wolves": "wolf", "gorilla": "gorilla", "gorillas": "gorilla", "cars": "car", "racing": "racing", "boxing": "boxing",
    "football": "football", "baseball": "baseball", "basketball": "basketball", "soccer": "soccer",
    "world war ii": "world war ii", "ww2": "world war ii", "wwii": "world war ii", "vietnam": "vietnam",
    "politics": "politics", "political": "politics", "courtroom": "courtroom", "prison": "prison",
    "con artist": "con artist", "hacker": "hacker", "hackers": "hacker", "artificial intelligence": "artificial intelligence",
    "ai": "artificial intelligence", "cyberpunk": "cyberpunk", "steampunk": "steampunk", "princess": "princess",
    "princesses": "princess", "fairy tale": "fairy tale", "fairy tales": "fairy tale", "mermaid": "mermaid",
    "exorcism": "exorcism", "exorcisms": "exorcism", "kidnapping": "kidnapping", "kidnappings": "kidnapping", "possession": "possession", "demon": "demon", "demons": "demon",
    "werewolf": "werewolf", "werewolves": "werewolf", "werewolfs": "werewolf", "creature feature": "creature feature", "creature features": "creature feature", "witch": "witch", "witches": "witch",
    "cop": "cop", "cops": "cop", "police": "police", "buddy cop": "buddy cop", "wedding": "wedding",
    "dance": "dance", "dancing": "dance", "band": "band", "jazz": "jazz",
    "rock and roll": "rock and roll", "true story": "true story", "based on a true story": "true story",
    "surprise ending": "twist ending", "underdog": "underdog",
    "psychological": "psychological", "satire": "satire", "parody": "parody", "spoof": "parody",
    "slapstick": "slapstick", "raunchy": "raunchy", "stoner": "stoner", "disaster": "disaster",
    "found footage": "found footage", "jump scares": "jump scare", "jump scare": "jump scare", "heist movie": "heist",
    "blood": "gore", "bloody": "gore", "gorey": "gore", "guts spilling": "gore", "guts spilling out": "gore", "guts start spilling": "gore",
    "guts start spilling out": "gore", "spilling guts": "gore", "suspense": "suspense",
    "sad ending": "sad ending", "sad endings": "sad ending", "happy ending": "happy ending", "happy endings": "happy ending",
    "swearing": "swearing", "cursing": "swearing", "profanity": "swearing", "bad language": "swearing",
    "nudity": "nudity", "sex scenes": "sex", "sequel": "sequel", "sequels": "sequel", "remake": "remake", "remakes": "remake",
    "reboot": "reboot", "reboots": "reboot", "volcano": "volcano", "volcanoes": "volcano",
    "subtitles": "subtitles", "subtitled": "subtitles",
    "samurai": "samurai", "samurais": "samurai", "knight": "knight", "knights": "knight", "ninja": "ninja", "ninjas": "ninja",
    "nature": "nature", "wildlife": "wildlife", "twist at the end": "twist ending", "twists at the end": "twist ending",
    "twist ending at the end": "twist ending", "true crime": "true crime", "talking animal": "talking animal",
    "talking animals": "talking animal", "animal starts talking": "talking animal", "animals start talking": "talking animal",
    "animals talking": "talking animal", "animal talking": "talking animal", "talking dog": "talking animal", "talking dogs": "talking animal",
    "dog starts talking": "talking animal", "dogs start talking": "talking animal", "talking cat": "talking animal", "cat starts talking": "talking animal", "submarine": "submarine", "submarines": "submarine", "hockey": "hockey",
    "chess": "chess", "golf": "golf", "tennis": "tennis", "wrestling": "wrestling", "surfing": "surfing",
    "supernatural": "supernatural", "body swap": "body swap", "body swaps": "body swap", "body switch": "body swap", "giant monster": "giant monster", "giant monsters": "giant monster",
}
KEYWORD_PHRASES.update(normalize(p) for p in _MOODS)
_MOOD_NAMES = {normalize(p): kw for p, kw in _MOODS.items()}
_MOOD_WORDS = sorted(p for p in _MOOD_NAMES if " " not in p and len(p) >= 6)
"""Single theme words long enough to be recognised misspelt ("wizzards", "vampyres")."""


def _one_off_plural(word: str, theme: str) -> bool:
    """Whether `word` is only an inflection of `theme` the theme list lacks (no typo to correct)."""
    return word.rstrip("s") == theme.rstrip("s") or word.endswith(("ing", "ed")) and word[:4] == theme[:4] and len(word) > len(theme)


_DECADE_WORDS = {"two thousands": 2000, "aughts": 2000, "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
                 "seventies": 1970, "eighties": 1980, "nineties": 1990, "ninties": 1990, "noughties": 2000}
_ORDINALS = {"first": 1, "1st": 1, "one": 1, "top": 1, "second": 2, "2nd": 2, "two": 2, "third": 3, "3rd": 3,
             "three": 3, "fourth": 4, "4th": 4, "four": 4, "fifth": 5, "5th": 5, "five": 5, "last": -1,
             "final": -1, "bottom": -1}
_RESET_ALL = re.compile(r"\b(start over|start again|start from scratch|from scratch|start from zero|from zero|start anew|reset|clear (everything|all|it all)|"
                        r"forget (everything|all|it all|all (of )?that|what i said(?! about))|ignore (everything|all of that|all that|what i said)(?! about)|new search|wipe|clean slate|blank (?:page|slate|canvas)|everything (?:i'?ve|ive|i have|i) (?:told you|said(?: to you)?|given you|asked for)(?: so far| before| earlier)?\W+(?:just |please |pls )?(?:let (?:it|that) go|forget (?:it|that)|drop (?:it|that)|bin (?:it|that))|start(?:ing)? fresh|starting over|ctrl[- ]?z on (?:everything|all|it all)|undo (?:everything|all of it|it all)|"
                        r"toss (?:every(?: last)? one|all) of (?:them|those|it)|"
                        r"fresh start|clear (my|the) (preferences|likes|interests|profile|history)|from the top|pretend i never said(?=\s*(?:$|[.!?,]|anything|any of (?:that|this|it)|that\b))|"
                        r"(?:let'?s )?begin again|begin(?:ning)? (?:fresh|anew)|burn (?:it|this|that|everything|(?:the|my|this) (?:whole )?(?:list|thing|profile)) (?:all )?down|"
                        r"none of what (?:i|we) (?:said|told you|gave you|asked for)(?: \w+){0,2} counts|"
                        r"(?:toss|throw|chuck|scrap|drop|ditch|dump|bin|clear|wipe|erase|delete|forget)(?: out| away)? (?:every(?: single| last)?|all(?: of)?(?: the| my)?) (?:preferences?|likes|things? (?:i|we) (?:said|told you|gave you))|pretend (?:the last|that|this|everything|all)\b[^.!?]{0,30}?\bnever happened|back to square one|nothing i'?ve said (?:so far |before )?counts|nothing ive said (?:so far |before )?counts|start (?:(?:this|the|it|whole|thing|all|everything) ){1,3}over|"
                        r"clear out (?:everything|all|it all)|(?:delete|clear|wipe|erase|reset) (?:all (?:of )?)?(?:my )?likes and dislikes|"
                        r"everything i (?:said|told you) (?:before |earlier |so far )?(?:doesn'?t|doesnt|does not) (?:matter|count)|nuke (?:it all|everything|all of it|all that)|"
                        r"back to the drawing board|none of (?:my|the|what i) (?:earlier |previous |old |other |said |told you )*(?:stuff|picks|preferences|answers|choices|likes|said|requests) counts?)\b", re.I)
_FORGET = re.compile(r"(?<!you )(?<!\bu )\b(?!(?:drop|ditch|scrap|forget|remove|lose|disregard|ignore|scratch|erase|delete|undo|cancel) (?:it|that|this|them)\b)(?:forget(?! to\b)(?: about)?|never ?mind(?: about)?|don'?t worry about(?: the)?|leave out(?: the)?|undo(?: the)?|nvm(?: the)?|scrap(?: the)?|ditch(?: the)?|"
                     r"get rid of(?: the)?|scratch(?: the)?|drop(?: the)?|remove(?: the)?|cancel(?: the| my)?|disregard(?: the| my)?|lose the|strike|erase|delete|"
                     r"no longer (?:want|into|interested in)|pretend i never (?:said|mentioned|brought up|asked for)|walk(?:ing)? back(?: the| my)?|bin(?: the)?(?= [\w ]{2,30} (?:idea|thing|bit|request)\b)|not into .{0,20} anymore|take back|ignore(?: the)?)\s+(?P<what>[^.,;!?]+)", re.I)
_FORGET_AFTER = re.compile(r"\b(?:take|cross|strike|scrub|cut|wipe|remove|delete)\s+(?P<what>[^.,;!?]{2,40}?)\s+(?:off|out of it|out|from (?:the|my|your|our) (?:\w+ )?list)\b(?! (?:at|after|around) (?:19|20)\d\d)|"
                           r"\bun-(?P<un>[a-z]{4,20}) (?:this|the|it|that|everything)\b|"
                           r"(?P<who>[a-z][\w ]{1,30}?)'s out\b(?! for (?:me|us))|\bleave\s+(?P<left>[^.,;!?]{2,40}?)\s+out of it after all\b|"
                           r"\b(?:the|that) (?P<idea>[a-z][\w ]{1,30}?) (?:thing|idea|bit|part|angle|mention|suggestion|request)\s*(?:[^.,;!?]{0,20}[,.;]*\s*consider (?:it|that) (?:withdrawn|gone|dropped|scrapped|cancelled|canceled|dead)|was (?:kinda |kind of |pretty |a bit |really )?(?:a )?(?:bad|dumb|stupid|terrible|silly)(?: idea)?|"
                           r"[^.,;!?]{0,40}[,.;!?…]*\s*(?:(?:yeah|yea|ok|okay|um|hmm|nah|eh|actually)\W+)?(?:(?:let'?s|lets|just|so|ok|please|maybe)\s+){0,3}"
                           r"(?:drop|scrap|ditch|forget|lose|scratch|shelve|park|nix|table|bin|bury|never ?mind|nvm|skip|disregard|ignore|erase) (?:it|that)\b)|"
                           r"\b(?:leave|set|put|push)\s+(?P<aside>[^.,;!?]{2,40}?)\s+aside\b|(?:^|[.,;!?]\s*)(?P<sits>[a-z][\w' ]{1,30}?)\s+(?:can|should|could|will|gets to|has to)\s+sit\s+(?:this one|this|it|tonight)\s+out\b|"
                           r"\bwhen (?:i|we) (?:said|mentioned|typed|wrote|brought up|asked for) (?P<mixed>[^.,;!?]{2,40}?)\s+(?:earlier|before|just now|at first|a (?:minute|sec|second|bit) ago|i (?:was|meant|mean)|that was)\b"
                           r"[^.;!?]{0,60}?\b(?:(?:ignore|scratch|forget|disregard|drop|strike|scrap|nix|bin) (?:that one|that|it)\b|(?:cross|strike|scratch|take|rub) (?:that one|that|it) (?:out|off|back)\b)|"
                           r"\bwhat (?:i|we) (?:said|told you|mentioned|asked for|wanted) (?:about|re|regarding) (?P<said>[^.,;!?]{2,40}?)"
                           r"(?:\s+(?:earlier|before|a (?:minute|sec|second|bit) ago|just now|at first))?\s*[,.;…-]*\s*(?:(?:yeah|ok|okay|um|eh|hmm|nah|so|just)\W+)?"
                           r"(?:never ?mind|nvm|forget|scratch|scrap|ignore|drop|disregard|forget about) (?:that|it)\b|"
                           r"\babout (?:that|the) (?P<about>[a-z][\w' -]{1,40}?)(?: (?:i|we) (?:asked for|mentioned|said|wanted|brought up|requested))?\s*[.…,;:-]*\s*"
                           r"(?:(?:yeah|ok|okay|um|eh|hmm|nah|so|just)\W+)?(?:retract|scratch that|never ?mind|nvm|forget (?:it|that)|ignore (?:it|that)|"
                           r"take (?:it|that) back|cancel (?:it|that)|disregard)\b|"
                           r"\blet (?:the|that|my|our) (?P<die>[a-z][\w' ]{1,30}?) (?:idea|thing|bit|request|plan) (?:die|go|rest|drop)\b|"
                           r"\b(?:bench|shelve|sideline|retire) (?P<bench>[a-z][\w' ]{1,30}?) (?:for (?:tonight|now|today|a while|the night|this week)|tonight)\b|"
                           r"(?:^|[.,;!?]\s*)(?P<wrong>[a-z][\w' :]{1,40}?) (?:doesn'?t|doesnt|does not|don'?t|dont|shouldn'?t) belong (?:in|on) "
                           r"(?:what (?:i|we) (?:told|gave) you|the list|my list|there|that list)\b", re.I)
"""Forgetting said after the thing: "take horror off the list", "keanu's out"."""


def taken_back_group(match: re.Match) -> str:
    """The name of the group of a `_FORGET_AFTER` match that holds what is taken back."""
    return next(g for g in ("what", "un", "who", "left", "idea", "aside", "said", "sits", "mixed", "about", "die", "bench", "wrong")
                if match.group(g))

_REPLACE = re.compile(r"(?:^\s*|[.!?,;:]\s*|\b(?:ok|okay|oh|hmm|um|no|wait|so|and|but)\s+)actually\b|\b("
                      r"instead|changed my mind|change of plans?|mood (?:has |just )?(?:swung|shifted|changed|flipped)|swap (?:all |everything )?(?:that |this |it )?(?:out )?for|(?:completely |totally )?(?:different|new) direction|switch(?:ing)? to|switch(?:ing)? (?:it|things) up|mix it up|"
                      r"for a change|now i want|(?:completely |totally |a )?(?:different|new) idea|chang(?:e|ed|es|ing) (?:of )?(?:tack|course|heart)|vibe shift|shift(?:ing)? (?:the )?(?:vibe|gears)|change of (?:vibe|mood)|new plan|actually (?:want|wanna|feel like)\b[^.]*\bnow|"
                      r"let'?s do(?! (?:that|it|this|the \w+ one))|what i (?:actually|really) want|(?:do|doing|pull|pulling) a (?:180|one[- ]eighty)|u-?turn|let'?s go with|(?:scrap|ditch|bin|toss|drop) (?:the|that|this|our|my|tonight'?s) (?:plan|idea)|new mood|(?:we'?re|were|we are) doing [\w' ]{1,30} now|on second thought|how about .{1,40} instead|scratch (?:all (?:of )?)?(?:that|this|those))\b", re.I)
def asks_to_replace(text: str, *, disliked_here: bool) -> bool:
    """Whether a message replaces the earlier interests ("actually, westerns instead"). A bare "instead" after
    something the same message refuses contrasts within it ("slashers feel lazy now. a thriller instead")."""
    cues = [m.group(0).strip(" .!?,;:").lower() for m in _REPLACE.finditer(text)]
    return bool(cues) and not (disliked_here and all(cue == "instead" for cue in cues))


_NOTHING_BEFORE = re.compile(r"\b(?:nothing|no movies?|no films?|none|not)(?: (?:made|released|filmed|shot|from|that came out|"
                             r"that was made))? (?:older than|before|earlier than|prior to) (?P<year>\d{4})\b")
"""A lower bound said as an exclusion: "nothing made before 2000" -> from 2000."""
_NOTHING_AFTER = re.compile(r"\b(?:nothing|no movies?|no films?|none|not)(?: (?:made|released|filmed|shot|from|that came out|"
                            r"that was made))? (?:newer than|after|later than|past|more recent than) (?P<year>\d{4})\b")
"""An upper bound said as an exclusion: "nothing newer than 1995" -> up to 1995."""
_SEEN = re.compile(r"\b(been there,? done that|(?:done|seen|watched) (?:all|both) (?:three|two|four|five|of (?:them|these|those|em|'em))|(?:watch|rewatch|put on|see)(?: it| that| that one| this one)? every (?:single )?(?:summer|winter|spring|fall|autumn|year|christmas|december|halloween|thanksgiving)|seen|saw|watched|every (?:december|christmas|halloween|thanksgiving|holiday season|year) without fail|(?:that one'?s|that'?s|it'?s) (?:already )?covered|on the big screen|back when (?:it|they) (?:was|were|came) out|already did|did (?:it|that|that one|this one|them) (?:already|twice|before)|word for word|(?:made|forced) (?:me|us) (?:to )?(?:watch|sit through)|had to (?:watch|sit through)|already watched|have watched|seen it|seen that|seen them|watched it|caught (?:it|that|this|those)|"
                   r"(?:a|like a) (?:hundred|million|thousand|billion) times|know every line|more times than (?:i|we) (?:can|could) count|"
                   r"(?:been|gone) through (?:it|them|those|these|all)|(?:can|could) quote|know (?:it |them |that one |this one )?by heart|front to back|"
                   r"played (?:it |that |\w+ )?so much|(?:done|watched|seen|played|rewatched) (?:it |that |them |this )?to death|already done|"
                   r"(?:lives?|living) (?:in|on) (?:my|our|the) (?:dvd|blu ?-?ray|disc|vcr|tv)|(?:an? )?(?:annual |yearly |christmas |holiday |comfort )?rewatch(?:ed)? (?:every|each)|"
                   r"(?:is|'s) (?:an? )?(?:annual |yearly |regular |constant )?rewatch\b|(?:i|we) caught\b|disc is scratched|old favou?rites?|as a kid|when i was (?:a kid|little|young|younger)|growing up|worn out (?:our|my|the) (?:\w+ ){0,3}(?:dvd|copy|tape|vhs|blu-?ray))\b", re.I)
_UNSEEN_ELLIPSIS = re.compile(r"\b(?:i|we) (?:haven'?t|havent|have not|hadn'?t|never have|didn'?t|didnt)(?: yet)?\W*$", re.I)
"""A piece that only says the pick is new ("the last one i haven't"): no feedback, and no reason to read the clause whole."""
_NOT_SEEN = re.compile(r"\b(haven'?t|have not|never|not|didn'?t|did not|hasn'?t)\s+(yet\s+)?(seen|watched|saw)\b", re.I)
_FEEDBACK_NEG = re.compile(r"^\W*not\b|\b(not that|not this|not the|bores? (?:me|us)|bored (?:me|us)|not sold|not so much|not (?:so |too )?sure|"
                           r"(?:looks?|sounds?|seems?) (?:kinda |kind of |a bit |a little |pretty |way |too |so |really |very |super )*(?:slow|long|heavy|intense|mature|grown-?up|violent|scary|dark|dull|bleak|grim|depressing|gloomy|sad)|"
                           r"none of (?:these|those|them|em|'em|the \w+) (?:really |quite |actually )?(?:grabs?|appeals?|interests?|excites?|speaks? to|jumps? out|stands? out|does it|do it)|"
                           r"(?:doesn'?t|doesnt|don'?t|dont|does not|do not) (?:really |quite )?(?:look|sound|seem)s? (?:like|good|great|fun|interesting|appealing)|no thanks|nah|nope|(?:'s|is) a no|a no from me|"
                           r"(?:sounds?|looks?) (?:way |a bit |kinda |a little )?too \w+|(?:way |far |much |a bit |kinda |a little |just )?too \w+ for (?:me|us|my|our|the|tonight|today)|(?:don'?t|doesn'?t) (?:really )?do it for me|don'?t like|didn'?t like|hated|boring|"
                           r"pass on|skip|not for me|not interested|no to|don'?t want|meh|not feeling|looks bad|"
                           r"not really|doesn'?t appeal|(?:don'?t|doesn'?t|didn'?t) grab me|neither\b.{0,30}\bappeals?|not a fan|(?:is|are)n'?t (?:really )?(?:(?:my |our |the )?(?:\w+'?s?'? )?thing|for (?:me|us))|"
                           r"not (?:really )?my (?:thing|style|type|kind)|(?:is|are)n'?t (?:really )?my cup of tea|no way|pass|"
                           r"looks? (?:kinda |kind of |pretty |a bit )?(?:boring|dumb|bad|lame|meh)|"
                           r"(?:doesn'?t|don'?t|didn'?t) do (?:anything|much|a thing) for me|(?:is|are|'s|'re) (?:a )?(?:hard |big |firm )?no\b|thats a no)\b", re.I)
_FEEDBACK_POS = re.compile(r"\b((?<!\bbut )why not\b|(?<!not )(?<!not really )(?<!not quite )sold(?=\s*(?:[.!,;]|$))|(?:exactly |just |right at |totally )?my speed|(?:that'?s|thats|that is) (?:tonight|my night|the evening|my evening) sorted|(?:tonight|my night|the evening)(?: is)? sorted|(?:i'?m|im|i am) (?:kinda |really |pretty |super |very )?curious about|(?:give|try) (?:number \w+|#\s?\d|the (?:first|second|third|fourth|fifth|last|middle|other|top|final) (?:one|pick|movie|film)) a (?:go|shot|try|whirl|chance|watch)|"
                           r"looks? (?:really |so |very |pretty |super |kinda )?(good|great|interesting|fun|cool|nice|awesome|amazing|sick|dope|"
                           r"fire|promising|like fun|like a good one|delightful|magical|lovely|cute|perfect|adorable|charming|hilarious|exciting|"
                           r"sweet|neat|solid|decent|epic|intense|wild|right up my (?:street|alley)|up my (?:street|alley))|"
                           r"(?:right )?up my (?:street|alley)|let'?s do (?:that|it|this)|good kind of|(?:could|might|would) work|"
                           r"(?:kept|been|keep) putting (?:it |that |this )?off|tonight'?s the night|tonights the night|(?:i'?m|im) (?:so |totally |definitely )?down for|down for (?:that|it|this)|"
                           r"(?:i'?d|id|i'?ll|ill|i will|i would|gonna|going to|i'?m gonna|let'?s|lets) (?:go|roll) with|(?<=\w) then(?=\s*\?|\s*$)|(?<=\bone) (?:tho|though)(?=\W*$)|(?<!not )(?<!not so )sure|(?:sounds?|looks?) like (?:a |my )?(?:total |real |right |absolute )?(?:blast|winner|hoot|good time|fun time|kinda thing|kind of thing|type of thing)|"
                           r"(?:a |the )?winner|(?:could|can) get behind|i could do|could do (?:that|it|this)|in a good way|"
                           r"dying to (?:see|watch)|(?:been )?want(?:ing|ed)? to (?:see|watch)|add(?:ing|ed)? (?:[\w' ]{1,40} )?to (?:my|the) (?:\w+ )?list|"
                           r"(?:put|putting|puts|going|throw|throwing|toss|tossing|add|adding|slap|slapping|stick|sticking) (?:it|that|this|that one|this one|them|those|these) on (?:my|the) (?:\w+ )?list|(?:exactly |just )?my (?:kind|sort|type) of\b|(?:'s|is|was) (?:a |an )?(?:real |true |total |modern |absolute )?classic|"
                           r"yes please|works for me|sign me up|count me in|(?:has|have|got|caught|grabbed|gets|grabs) (?:my|our) (?:attention|eye|interest)|"
                           r"sounds? (?:really |so |very |pretty |super )?(good|great|"
                           r"interesting|fun|cool|nice|awesome|amazing|perfect|delightful|lovely|promising|intriguing|cute|adorable|charming|hilarious)|perfect|i'?ll (watch|try|check)|"
                           r"love (that|it|the)|like (that|it|the)|great (pick|choice|one)|yes+|yeah|yep|nice one|"
                           r"that one|good one|interesting|love it|i like|(?:i'?ll|ill|i will|gonna|going to|let'?s|lets|might|may|could) (?:give|try) (?:it|that|this|that one|this one)(?: a (?:go|shot|try|whirl|chance|watch))?|"
                           r"(?:could|might|may) be (?:solid|good|fun|great|cool|decent|a good time|worth it)|maybe(?=\W*$))\b", re.I)
_REFERS_TO_PICK = re.compile(r"\b(it|that|this|that one|this one|those|these|them|the (first|second|third|fourth|"
                             r"fifth|last|1st|2nd|3rd|4th|5th|top|bottom|final) (one|pick|movie|film|suggestion)|"
                             r"#\s?\d|number \d|no\.? ?\d)\b", re.I)


@dataclass
class _Span:
    start: int
    end: int


_INNER_STOP = re.compile(r"[.!?;](?=\s*\w)")
"""Punctuation with more text after it: the message may hold a title with "!" or "." inside."""


def split_clauses(text: str, keep: list[tuple[int, int]] | tuple = ()) -> list[tuple[int, str]]:
    """(offset, clause) pieces at sentence ends and contrastive words; never inside a `keep` span
    (a title such as "Boo! A Madea Halloween")."""
    pieces = []
    last = 0
    for match in _CLAUSE_SPLIT.finditer(text):
        if any(start <= match.start() < end for start, end in keep):
            continue
        if match.start() > last:
            pieces.append((last, text[last:match.start()]))
        last = match.end()
    if last < len(text):
        pieces.append((last, text[last:]))
    return [(o, c) for o, c in pieces if c.strip()]


def _negative_before(clause: str, pos: int) -> bool:
    """Whether a negative cue governs the span starting at `pos` within `clause`."""
    head = clause[:pos]
    negs = list(_NEG.finditer(head))
    if not negs:
        return False
    last_neg = negs[-1]
    if _NEG_OVERRIDE.search(head[max(0, last_neg.start() - 12):]):
        return False
    if any(m.start() <= last_neg.start() < m.end() for m in _NEG_OVERRIDE.finditer(head)):
        return False  # "no such thing as a boring heist movie": the last negative word is part of a longer positive phrase
    only = re.search(r"\b(anything|nothing)\s+that\s+(?:isn'?t|isnt|is not|aren'?t|arent)\s+(?:an?\s+)?$", head, re.I)
    if only:  # "anything that isn't a comedy" rules comedy out; "nothing that isn't" and "i don't want anything that isn't" keep only it
        return (only.group(1).lower() == "nothing") == bool(_NEG.search(head[:only.start()]))
    if last_neg.group(0).lower() in {"nah", "nope", "no"} and re.match(r"\s*(?:actually\s*)?[,.!]", head[last_neg.end():]) \
            and re.fullmatch(r"\W*(?:(?:oh|ok|okay|hmm|so|and|but|well|actually)\W+)*", head[:last_neg.start()], re.I):
        return False  # "but nah, some fantasy": the "nah" answers what came before
    if last_neg.group(0).lower() in {"nah", "nope", "no"} and re.match(r"\W*(?:wait|sorry|i mean|i meant|make that|rather)\b", head[last_neg.end():], re.I):
        return False  # "keanu, no wait, i mean nic cage": a self-correction, the name after it is meant
    # "I don't like horror and I love comedy": a positive cue after a separator resets the negation
    tail = head[last_neg.end():]
    # "not once did i enjoy a musical": the negation governs the whole inverted clause
    inverted = re.match(r"\s*(?:once |ever |one time |in my life )*(?:did|do|have|had|would|could|will) (?:i|we)\b", tail, re.I)
    if not inverted and re.search(r"\b(i|we)\s+(really\s+|do\s+|still\s+)?(want|wanna|love|like|enjoy|prefer|need)\b", tail, re.I):
        return False  # "when I'm done with work I want a comedy": a new statement of taste
    for sep in re.finditer(r"\band\b|,|\bor\b|\bjust\b|\bonly\b|\binstead\b", tail):
        if _POS.search(tail[sep.end():]) or re.search(r"\bjust\b|\bonly\b|\binstead\b", sep.group(0)):
            return False
        if sep.group(0) == "," and re.match(r"\s*(something|maybe|rather|more|but|perhaps|leaning|(?:i'?m |im )?(?:more )?in the mood|(?:it'?s|its|it is) (?:more|rather)|instead|plus|also|ideally|preferably|"
                                            r"hopefully|and (ideally|preferably|maybe|also|hopefully|if possible))\b", tail[sep.end():], re.I):
            return False
    return True


_PIECE_SPLIT = re.compile(r",|\((?!\d{4}\))")
_PIECE_YES = re.compile(r"^[\w' ()-]*?(?:\b100 ?%|\b(only|yes|instead|especially|(?:is|are|'s|'re) (?:\w+ )?(?:fine|ok|okay|good|great|cool|awesome|amazing|peak|"
                        r"the best)|works|for sure))\s*$", re.I)
_PIECE_NO = re.compile(r"^[\w' ()-]*?(?:\b0 ?%|\b(no|nope|no thanks|never|pass|no way|not so much|(?:is|are) not|isn'?t|aren'?t|isnt|arent))\s*$", re.I)


def negative_at(clause: str, pos: int, *, has_positive: bool | None = None, until: int | None = None) -> bool:
    """Whether the span at `pos` in `clause` is disliked: a negative cue before it ("no horror"), or
    after it in a clause with no positive cue ("musicals drive me up the wall"). A comma piece
    ending in its own verdict decides alone: "no dramas, comedies only", "sci-fi yes, fantasy no". A verdict
    said after `until` (the comma before a later piece with a span of its own) belongs to that span."""
    piece = _PIECE_SPLIT.split(clause[pos:], maxsplit=1)[0]
    own_head = _PIECE_SPLIT.split(clause[:pos])[-1]
    if not _NEG.search(own_head) and len(piece.split()) <= 4 and not re.search(r"\bor\b", piece, re.I):
        if _PIECE_YES.match(piece):
            return False
        if _PIECE_NO.match(piece):
            return True
    if _negative_before(clause, pos):
        return True
    pieces = _PIECE_SPLIT.split(clause[pos:], maxsplit=2)
    if len(pieces) > 2 and _SHRUG.match(pieces[1]) and not _POS.search(own_head + piece):
        return True  # "anything built around a big twist at the end, nah, i always guess it"
    if re.match(r"[^,.;!?]{0,60}?\b(?:anything|everything|whatever) but (?:that|this|it|those|them)\b", clause[pos:], re.I):
        return True  # "he's begging for a romcom and i want literally anything but that"
    if re.search(r"\b(?:keep|leave)\s+(?:the\s+|all\s+|any\s+|that\s+)?$", clause[:pos], re.I) \
            and re.match(r"[\w' -]{0,30}?\b(?:out\b(?! there)|(?:far |well |way )*away\b(?! with))", clause[pos:], re.I):
        return True  # "keep the romance out of it pls", "keep clowns far away": a request, however politely put
    if re.search(r"\b(?:as long as|so long as|provided|if)\s+$", clause[:pos], re.I) and re.match(
            r"[\w' .-]{1,40}?\s+(?:isn'?t|isnt|is not|aren'?t|arent|are not|'s not|doesn'?t|doesnt|does not|don'?t|dont|do not)\s+"
            r"(?:in it|in them|in the cast|involved|show up|appear|star)\b", clause[pos:], re.I):
        return True  # "comedies are great as long as will ferrell isn't in it"
    if _POSTFIX_NEG.search(piece) and not _POS.search(own_head + piece):
        return True  # "i like scary movies, gore does nothing for me": the piece's own verdict
    if has_positive is None:
        has_positive = bool(_POS.search(clause))
    return not has_positive and bool(_POSTFIX_NEG.search(clause[pos:until]))


_NEUTRAL = re.compile(r"\b(?:(?P<notthat>(?:it'?s|its|it is) not that)|(?:done|made|been in|directed|starred in|written)(?: \w+)? (?:that|which) (?:isn'?t|isnt|is not|aren'?t|arent|are not)(?: one of)?|(?:don'?t|dont|do not|doesn'?t|doesnt) (?:really |necessarily )?(?:need|have|has) (?:it |them |this |the \w+ )?to be|(?:don'?t|do not|doesn'?t|never) (?:really |actually )?(?:hate|dislike)|(?:i'?m |im |i am )?not saying(?! no\b)(?: that)?(?: (?:i'?d|i would|id|i'?ll|i will|i) (?:never|not) (?:sit through|watch|see|enjoy|like))?|nothing against|not that (?:i|we) (?:hate|dislike)|(?P<against>not (?:against|opposed to)))"
                      r"\s+(?:(?:a |an |the |some |good |great |\w+ )?){0,2}$", re.I)
"""A concession, not a taste: "i don't dislike sci fi, but ..." and "not against subtitles or anything" name no slot."""
_OVER = re.compile(r"\b(?:take|takes|pick|picks|choose|chooses|prefer|prefers|go with)\b.+\bover\s+(?:the\s+)?$|"
                   r"\s>+\s*(?:(?:pretty much|basically|just about|almost|nearly)\s+)?(?:(?:any|all|every|the|most|your)\s+)?(?:\w+\s+)?$", re.I)
_CONDITION = re.compile(r"\s*(?:(?:but|and|just|ok|okay)\s+)*(?:nothing|not|no|none)\s+(?:too|that|overly|super|very|crazy|insanely|ultra)\s+\w+\s*$", re.I)
"""A limit on what comes next, not a verdict on what came before: "(not against a western but) nothing too slow"."""
_ASIDE = re.compile(r"\W*(?:(?:and|but|just|oh|ok|okay)\s+)*(?:not|no|nothing)\s+(?:on|from|streaming on|available on|"
                    r"picky|fussy|fussed|bothered|particular|specific|that specific|that picky|in a rush|a big deal)\b", re.I)
"""A clause that negates something beside the taste: "any good documentaries? not on any particular service"."""
_MOOD_NOW = re.compile(r"\bnot (?:really |quite )?in (?:a|an|the) (?:[\w']+ ){1,3}mood\b|\bnot (?:really |quite )?in the mood for\b|\bnot feeling (?:it|that|the)\b", re.I)
"""Tonight's mood: said of a taste the message withdraws ("drop tom cruise, i'm not in a tom cruise mood") it is no dislike."""
_PRONOUN = re.compile(r"\b(them|it|those|these|they|that stuff|him|her)\b|^\W*(?:that|this)\b(?! (?:one|kind|type|sort|genre)\b)", re.I)
_SHRUG = re.compile(r"^\W*(?:(?:honestly|but|and|so|just)\W+)?(?:eh+|meh+|ugh+|blah|nah+|nope|pass|hard pass|no thanks|yikes|hmm+,? no|no+)\W*$", re.I)
"""A clause that is only a shrug: "westerns? eh. ..." judges the clause before it."""
_PAST_TASTE = re.compile(r"\bused to (?:be )?(?:really |totally |super |so )?(?:into|love|like|enjoy|watch|obsessed with|hooked on|crazy about|(?:a )?(?:big |huge )?fan of|big on)", re.I)
_GOOD_WAY = re.compile(r"\s*(?:but |and )?(?:only |just )?in (?:a|the) (?:good|best) (?:way|possible way)\b", re.I)
_THIRD_PARTY = re.compile(r"(?<!\bme and )(?<!\bi and )\bmy (?:wife|husband|bf|gf|boyfriend|girlfriend|partner|kids?|son|daughter|mom|mum|dad|brother|sister|"
                          r"friends?|roommate|parents|family)\b (?:\w+ ){0,2}?(?:can'?t stand|cant stand|hates?|doesn'?t like|don'?t like|"
                          r"doesnt like|won'?t watch|is scared of|gets scared of)\s+(?:\w+\s+){0,2}$", re.I)
"""Someone else's dislike, said before the span: "my wife can't stand horror" is not the user's slot (what they love
may still be what the user watches with them: "my mom loves meg ryan, we're watching together")."""
_THIRD_LIKE = re.compile(r"\b(?:my (?:wife|husband|bf|gf|boyfriend|girlfriend|partner|kids?|son|daughter|mom|mum|dad|brother|sister|"
                         r"friends?|roommate|parents|family)|(?<!\bi )(?:people|everyone|everybody|folks|critics|the internet))\b (?:\w+ ){0,2}?(?:loves?|adores?|likes?|enjoys?|raves? about|swears? by|is (?:obsessed with|into|a fan of|crazy about))\b", re.I)
"""Someone else's liking, said before the thing: "my wife adores nicolas cage (but i find him tiresome)"."""
_OWN_LIKE = re.compile(r"\b(?:i|we)\s+(?:really\s+|actually\s+|still\s+)?(?:love|like|enjoy|adore|dig)\s+(?:it|them|those|that)\b", re.I)
_SARCASM = re.compile(r"(?:^|\s)/s\s*$|\(sarcasm\)|\bsarcasm\b|🙄", re.I)


_NEG_WORD = re.compile(r"\b(?:not|never|nope|nah|no|nothing)\b|n['’]t\b|\b(?:dont|doesnt|isnt|arent|didnt|wont|cant|aint|wasnt|werent|couldnt)\b", re.I)
_NO_VERDICT_AFTER = re.compile(
    r"\b(?:that|thats|which|who|whom|whose|where|when|as long as|misses|miss|disappoints?|fails?|lets? (?:me|us) down|so long as|if|unless|provided|regret|questions|no matter|guess|"
    r"have to|has to|need to|needs to|needn'?t|matter|matters|care|mind|seen|watched|heard|tried|yet|bad|wrong|stop|enough|sure|only|"
    r"wait|kidding|lie|lying|either|hurt|harm|count|counts|says?|said|because|since|even|know|sure|or no|or not|else|beats|compares|better|in (?:a|the) (?:good|best) (?:way|possible way))\b|(?:not|n't|nothing) too\b|"
    r"\b(?:weakness|weak spot|soft spot|guilty pleasures?|kryptonite|addict(?:ed|ion)|obsessed|obsession|resist)\b", re.I)


_LYING = re.compile(r"\b(?:i'?d|id|i would|i'?ll|i will|i'?m|im|i am|i)(?: be)? lying if i (?:said|say|told you|claimed|pretended)\b", re.I)


def _lying_verdict(clause: str, pos: int, negative: bool) -> bool:
    """The verdict under "i'd be lying if i said": the opposite of what is said ("... a courtroom drama didn't tempt
    me" likes it, "... i loved westerns" does not)."""
    lying = _LYING.search(clause[:pos])
    if not lying:
        return negative
    return not _NEG_WORD.search(clause[lying.end():])


_NOW = re.compile(r",\s*(?:but\s+|and\s+)?(?:now|these days|nowadays|lately|today|anymore)\b(?P<now>[^,;]*)", re.I)


def _soured(clause: str, pos: int) -> bool:
    """A taste said to have gone: "as a kid i adored cartoons, nowadays they feel so childish" dislikes them now."""
    now = _NOW.search(clause, pos)
    if not now or not _PRONOUN.search(now.group("now")):
        return False
    return bool(_POSTFIX_NEG.search(now.group("now")) or _judges_badly(now.group("now"))) and not _POS.search(now.group("now"))


def _unread_negation(clause: str, pos: int, end: int, pref: Preference) -> bool:
    """A negation said after the thing in a phrasing no list holds ("sci-fi and i never saw eye to eye",
    "romance just isn't landing lately"): with no cue before the span and nothing positive after it, a
    "not"/"never"/"n't" in the span's own piece (up to the next span) judges it. Not in a relative or
    conditional ("adventure movies that aren't animated", "fine as long as it's not found footage"),
    nor where the negation is about something else ("i haven't seen", "doesn't have to be new")."""
    if pref.kind == "item" and _NEG_WORD.search(pref.label):
        return False  # "no country for old men": the negation is the title's own
    if _POS.search(clause[:pos]) or _NEG.search(clause[:pos]):
        return False  # a cue before the span: the rules have read it
    if re.search(r"\bin (?:a|the) (?:good|best) (?:way|possible way)|\bas (?:a|the highest) (?:compliment|praise)", clause[pos:], re.I):
        return False  # "... i won't go past my knees at the beach, in the best way"
    piece = _PIECE_SPLIT.split(clause[pos:end], maxsplit=1)[0]
    post = " ".join(piece.split()[max(1, len(re.sub(r"\s*\(\d{4}\)$", "", pref.label).split())):])  # what follows the span
    values = [verdict_valence(w) for w in re.findall(r"[a-z]+", post.lower())]
    if not _NEG_WORD.search(post) and not any(v < 0 for v in values):
        return False
    return not (_POS.search(post) or _NEG_OVERRIDE.search(post) or _NO_VERDICT_AFTER.search(post) or any(v > 0 for v in values))


_CONTENT_STEMS = ("scar", "sad", "creep", "violen", "gor", "blood", "dark", "disturb", "murder", "kill", "war", "death", "dead", "die",
                  "dying", "horr", "terr", "fear", "evil", "crim", "tortur", "rap", "abus", "fight", "battl", "attack", "haunt", "ghost",
                  "monster", "demon", "devil", "witch", "zombi", "vampir", "weep", "cry", "tear", "grie", "lonel", "alone", "lost",
                  "danger", "threat", "panic", "afraid", "frighten", "tragic", "tragedy", "depress", "sorrow", "pain", "hurt", "sick",
                  "ill", "disease", "cancer", "suicid", "kidnap", "hostage", "prison", "jail", "steal", "stole", "thief", "rob",
                  "cheat", "lie", "liar", "betray", "revenge", "enemy", "villain", "bomb", "gun", "shoot", "weapon", "destroy",
                  "disaster", "chaos", "apocalyp", "doom", "hell", "damn", "curse", "nightmare", "mad", "insan", "crazy", "stress",
                  "tense", "tension", "suspens", "intense", "gross", "nasty", "weird", "strange", "bizarre", "silly", "mess")
"""Words for what a film is about or how it feels ("scary", "sad", "murder"), which the sentiment lexicon also scores:
said after a genre they describe it ("horror that's properly scary"), so they judge nothing."""


_SLANG_PRAISE = {"riot", "blast", "wicked", "badass", "savage", "beast", "bonkers", "bananas", "unreal", "ridiculous", "absurd",
                 "bomb", "dope", "nuts", "hardcore", "guilty", "weakness", "addicted", "obsessed", "stupidly", "damn", "freaking",
                 "freakin", "hell", "heck", "shit", "fucking", "bloody", "pretty", "super", "fairly", "quite", "well", "kind",
                 "kinda", "like", "huge", "big", "certain", "certainly", "true", "truly", "real", "serious", "seriously", "honestly", "yeah",
                 "yes", "ok", "okay", "lol", "haha", "please"}
"""Words the lexicon scores that people use as mere emphasis or in praise ("pretty insufferable", "was a riot", "damn good")."""
_NOT_JUDGING = {"miss", "missed", "missing", "misses"}
"""Words the lexicon scores that say what one has not seen ("i missed all of them"), not how a film was."""
_PANNING_WORDS = ("tiresome bloated insufferable tedious pointless stale corny preachy pretentious overrated overhyped unwatchable "
                  "bland forgettable snooze snoozefest yawn predictable cliched clichéd cliche generic mediocre underwhelming derivative "
                  "formulaic repetitive samey soulless uninspired lifeless plodding draggy overlong overwrought melodramatic schmaltzy "
                  "cringe cringey cringy hokey clunky contrived incoherent nonsensical convoluted muddled shallow hollow dire abysmal "
                  "atrocious dreadful unbearable grating obnoxious juvenile dated meh blah zzz overated").split()
"""Words critics pan films with that the social-media lexicon lacks."""


@lru_cache(maxsize=1)
def _sentiment_lexicon() -> dict[str, float]:
    """Word -> valence (-4..4) from the VADER lexicon (the vaderSentiment package, MIT), judgement words only.

    Words for what films are about ("murder", "war", "scary") are dropped: by `_CONTENT_STEMS` and by how often
    the bundled catalog's plot texts use them. Empty when the package is not installed (rules alone).
    """
    try:
        from importlib.resources import files

        text = (files("vaderSentiment") / "vader_lexicon.txt").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return {}
    lexicon = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].isalpha() or len(parts[0]) < 3:
            continue
        try:
            value = float(parts[1])
        except ValueError:
            continue
        if abs(value) >= 1.0 and not parts[0].startswith(_CONTENT_STEMS) and parts[0] not in _SLANG_PRAISE | _NOT_JUDGING:
            lexicon[parts[0]] = value
    lexicon.update({word: -1.5 for word in _PANNING_WORDS})
    return lexicon


_RATED_HIGH = re.compile(r"\W*(?:(?:and|but|still|so|honestly|seriously)\W+)*(?:(?:ten|10) (?:out of|outta|/) (?:ten|10)|10/10|11/10|five stars|5 stars|"
                         r"would (?:\w+ ){0,3}again|(?:highly|hundred percent|100%) recommend|a must[- ]see|instant classic|no notes|chef'?s kiss)\b", re.I)
"""A rating said after the thing it rates: "not sleeping tonight. ten out of ten, would lose sleep again" praises the film."""
_SPECIFIES = re.compile(r"\W*(?:(?:but|and|just|like|ideally|preferably|specifically|you know)\W+)*the (?:[a-z]+ ){1,2}(?:ones?|kinds?|types?|sorts?)\W*$", re.I)
"""Which of a kind is meant, not a verdict on it: "nineties comedies. the dumb ones"."""
_REVIEW_OF = re.compile(r"\W*(?:(?:and|so|yeah|yep)\W+)?(?:that'?s|thats|that is|there'?s|theres) (?:my|the) (?:whole |entire |full |honest |one-word |complete )?"
                        r"(?:review|verdict|take|opinion|summary|thoughts?) (?:of|on)\b", re.I)
"""A verdict said first, then what it judges: "exhausting. that's my whole review of mockumentaries"."""


def _judges_badly(text: str) -> bool:
    """Whether a stretch of text holds a judging word against and none for ("i find him exhausting")."""
    values = [verdict_valence(w) for w in re.findall(r"[a-z]+", text.lower())]
    return any(v < 0 for v in values) and not any(v > 0 for v in values)


def verdict_valence(word: str) -> float:
    """How much a word judges (negative: dislike), 0 for words that describe or do not judge."""
    return _sentiment_lexicon().get(word, 0.0)


def _neutral_at(clause: str, pos: int) -> bool:
    """Whether the span at `pos` is only conceded ("i don't hate musicals") or the loser of a choice
    ("i'd take carpenter over craven"): no slot either way."""
    head = clause[:pos]
    neutral = _NEUTRAL.search(head)
    if neutral and neutral.group("notthat"):  # "it's not that horror scares me, i just find it boring" still refuses it
        rest = clause[pos:].split(",", 1)[1:]
        if rest and (_POSTFIX_NEG.search(rest[0]) or _judges_badly(rest[0])) and _PRONOUN.search(rest[0]):
            neutral = None
    if neutral and neutral.group("against"):  # "not opposed to a romance" accepts it; "... or anything, i just" concedes
        neutral = re.match(r"\s*\w+(?:\s+\w+){0,2}\s+or anything\b", clause[pos:], re.I)
    corrected = re.search(r"\b(?:was|were) (?:gonna|going to|about to) (?:say|suggest|ask for|go with)\s+(?:\w+\s+)?$", head, re.I) \
        or re.match(r"[\w' .-]{1,40}?,?\s*(?:no|nah|sorry|wait)\W+(?:wait\W+)?(?:i mean|i meant|make that|rather)\b", clause[pos:], re.I)
    conceded = re.match(r"[\w' -]{0,30}?(?:(?:'s|s| is| are|'re)\s+(?:not (?:bad|terrible|awful|the worst)|fine|ok|okay|alright)|"
                        r" (?:isn'?t|aren'?t|isnt|arent) (?:bad|terrible|awful|the worst))\s+or (?:anything|whatever)\b",
                        clause[pos:], re.I)  # "action's not bad or anything (but ...)"
    not_hated = re.match(r"[\w' -]{0,30}?\s+(?:is|are|'s|'re)(?:n'?t| not) (?:something|a thing|anything|what) (?:i|we) (?:really )?"
                         r"(?:hate|dislike|mind|avoid|object to|have a problem with)\b", clause[pos:], re.I)  # "action is not something i hate"
    versus = re.search(r"(?P<other>[\w' ]+?)\s+(?:vs\.?|versus)\s+$", head, re.I)
    picked = versus and re.search(r"\b(?:pick|picking|picks|choose|choosing|go with|going with|take|taking|team)\s+([a-z]+)", clause[pos:], re.I)
    lost = bool(picked) and picked.group(1).lower() in versus.group("other").lower().split()  # "paul rudd vs seth rogen, i'm picking rudd"
    lost = lost or _between_loser(clause, pos)
    asked = re.search(r"\b(?:what'?s|whats|what is|what was)\s+$", head, re.I) and re.match(r"[\w' :&-]{1,50}?\s+about\b", clause[pos:], re.I)
    # "was gonna say sci fi but nah, fantasy": the first thought is dropped; "whats nightcrawler about?": a question
    return bool(neutral or _OVER.search(head) or corrected or conceded or asked or not_hated or lost or _compared_loser(clause, pos))


_ANY_DAY = r"(?:any day|anyday|every (?:single )?time|any ?time|hands down|in a heartbeat|no contest|all day)"
_PICKED = re.compile(r"\b(?:pick|picks|picking|take|takes|taking|choose|chooses|choosing|go with|go for)\s+(?:the\s+|a\s+|an\s+)?$", re.I)


def _compared_loser(clause: str, pos: int) -> bool:
    """Whether the span at `pos` loses a comparison the clause settles: "crime drama over an adventure movie any
    day", "put a musical next to any superhero blockbuster and i'll pick the musical" (no slot for the loser)."""
    head, tail = clause[:pos], clause[pos:]
    if re.search(r"\w.*\bover\s+(?:an?\s+|the\s+|any\s+|some\s+|every\s+)?$", head, re.I) \
            and re.match(rf"[\w' -]{{0,40}}?\b{_ANY_DAY}\b", tail, re.I):
        return True
    if re.search(r"\w.*\b(?:did|does|do|nailed|nails|pulled off|pulls off|got right|gets right) (?:everything|what|all|whatever|the thing) (?:that )?$", head, re.I) \
            and re.match(r"[\w' :-]{1,40}?\s+(?:was|is|were|are) (?:going for|trying(?: to do)?|aiming for|attempting)|[\w' :-]{1,40}?\s+(?:tried|attempted|wanted)\b", tail, re.I):
        return True  # "arrival did everything interstellar was going for with half the noise"
    side = re.search(r"\b(?:put|set|stack|line|pit|stick)\b(?P<winner>.+?)\b(?:next to|against|beside|alongside|up against)\s+"
                     r"(?:an?\s+|the\s+|any\s+|some\s+|every\s+)?$", head, re.I)
    picked = side and re.search(r"\b(?:pick|take|choose|go with|go for)\s+(?:the\s+|a\s+|an\s+)?([a-z]+)", tail, re.I)
    return bool(picked) and picked.group(1).lower() in side.group("winner").lower().split()


def _compared_winner(clause: str, pos: int) -> bool:
    """Whether the span at `pos` wins a comparison the clause settles (liked whatever verdict follows on the loser):
    "crime drama over an adventure movie any day, adventures bore me stiff", "... i'll pick the musical"."""
    if _PICKED.search(clause[:pos]) and re.search(r"\b(?:next to|against|beside|alongside|over|versus|vs|between)\b", clause[:pos], re.I) or re.match(r"[\w' :-]{1,40}?\s+(?:did|does|nailed|nails|pulled off|pulls off) (?:everything|what|all|whatever) (?:that )?"
                                                r"[\w' :-]{1,40}?\s+(?:(?:was|is|were|are) (?:going for|trying|aiming for|attempting)|tried|attempted|wanted)\b", clause[pos:], re.I):
        return True
    side = re.match(r"([a-z]+)\b.*?\b(?:next to|against|beside|alongside)\b.*\b(?:pick|take|choose|go with|go for)\s+(?:the\s+|a\s+|an\s+)?"
                    r"([a-z]+)", clause[pos:], re.I)
    if side and side.group(1).lower() == side.group(2).lower():
        return True
    return bool(re.match(rf"[\w' -]{{1,40}}?\bover\s+(?:an?\s+|the\s+|any\s+|some\s+|every\s+)?[\w' -]{{1,40}}?\b{_ANY_DAY}\b",
                         clause[pos:], re.I)) and not _NEG.search(clause[:pos])


_CHOSEN = r"(?:it'?s|its|it has to be|gotta be|i'?d (?:go with|pick|take)|i pick|i'?m picking|i choose)\s+(?P<chosen>\w+(?:\s+\w+)?)"


_WINS = r"(?P<chosen>\w+(?:\s+\w+)??)\s+(?:wins|takes it|comes out on top|all the way)\b"


def _between_loser(clause: str, pos: int) -> bool:
    """Whether the span at `pos` is the one not chosen in "between A and B it's A": "between hot fuzz and shaun of
    the dead it's hot fuzz all day" and "between alien and the shining, alien wins" like the winner only."""
    head, tail = clause[:pos], clause[pos:]
    second = re.search(r"\bbetween\s+(?P<other>[\w' :-]{2,40}?)\s+and\s+$", head, re.I)
    if second:  # the span is B
        chosen = re.search(_CHOSEN, tail, re.I) or re.search(r"[,;]\s*" + _WINS, tail, re.I)
        return bool(chosen) and normalize(chosen.group("chosen")) in normalize(second.group("other"))
    if re.search(r"\bbetween\s+$", head, re.I):  # the span is A
        for chosen in (_CHOSEN, _WINS):
            pair = re.match(r"(?P<mine>[\w' :-]{2,40}?)\s+and\s+(?P<other>[\w' :-]{2,40}?)\s*,?\s*" + chosen, tail, re.I)
            if pair:
                return normalize(pair.group("chosen")) in normalize(pair.group("other")) \
                    and normalize(pair.group("chosen")) not in normalize(pair.group("mine"))
    return False


_RATHER_THAN = re.compile(r"\b(?:rather|sooner)\b(?P<mid>.+?)\bthan\s+(?:(?:watch|see|sit through|do)\s+)?(?:an?\s+|the\s+|some\s+|any\s+|another\s+)?$", re.I)


def _rather_loser(clause: str, pos: int, spans: set[int]) -> bool:
    """Whether the span at `pos` loses a choice between two things the message names: in "i'd rather watch a
    documentary than a romance" the romance gets no slot (the documentary is liked); "i'd rather watch paint
    dry than a musical" still rules the musical out."""
    rather = _RATHER_THAN.search(clause[:pos])
    return bool(rather) and any(rather.start("mid") <= p < rather.end("mid") for p in spans)


def has_cue(clause: str) -> bool:
    """Whether a clause holds a word the rules read a verdict from (either way)."""
    if _POS.search(clause) or _NEG.search(clause) or _POSTFIX_NEG.search(clause) or _NEG_OVERRIDE.search(clause):
        return True
    return any(_PIECE_YES.match(piece.strip()) or _PIECE_NO.match(piece.strip()) for piece in _PIECE_SPLIT.split(clause))


class RuleExtractor:
    """Deterministic extraction grounded in one catalog's vocabulary."""

    def __init__(self, vocab: Vocabulary, *, verdict: VerdictModel | None = None):
        self.vocab = vocab
        self.verdict = verdict

    def extract(self, message: str, *, shown: list[str] | None = None, turn: int = 0) -> GroundedDelta:
        shown = list(shown or [])
        delta = GroundedDelta()
        text = message.strip()
        if not text or _INJECTION.search(text):
            return delta  # an instruction to the bot, not a statement of taste
        feedback = self._feedback(text, shown)
        delta.feedback = feedback
        feedback_ids = {f.item_id for f in feedback}
        for item_id in feedback_ids:  # "already saw alien": the pick's title is no theme keyword
            title = self.vocab.catalog[item_id].title if item_id in self.vocab.catalog else ""
            if len(title) >= 3:
                text = re.sub(rf"\b{re.escape(title)}\b", lambda m: " " * len(m.group(0)), text, flags=re.I)
            for person in self.vocab.catalog[item_id].people if item_id in self.vocab.catalog else ():
                # "the second one, tom cruise dying over and over": the star points at the pick, no person slot
                # ("got anything with jake gyllenhaal?" after "seen it" still asks for the actor)
                text = re.sub(rf"(?<!\bwith )(?<!\bby )(?<!\bstarring )(?<!\bfeaturing )(?<!\bfrom )(?<!\bmore )(?<!\bof )(?<!\binto )"
                              rf"(?<!\blove )(?<!\bhate )(?<!\blike )\b{re.escape(person.name)}\b", lambda m: " " * len(m.group(0)), text, flags=re.I)
        forget, forget_spans = self._forget(text)
        delta.forget = forget
        self._eras(text, delta)
        subgenre_dislikes: list[tuple[Preference, str]] = []
        text_titles = self.vocab.titles_in(text) if _INNER_STOP.search(text) else []  # titles read with the whole message's context
        titles = [(m.start, m.end) for m in text_titles]
        read: list[tuple[Preference, int, bool, str, dict]] = []
        tone_at: list[tuple[str, str, int]] = []
        for offset, clause in split_clauses(text, keep=titles):
            has_positive = bool(_POS.search(clause))
            subgenre_at: dict[tuple[str, int], str] = {}
            known = [(m.item_id, m.start - offset, m.end - offset) for m in text_titles if offset <= m.start and m.end <= offset + len(clause)]
            asked = text[offset + len(clause):offset + len(clause) + 1] == "?"
            clause_tones: list[tuple[str, int]] = []
            prefs = self._clause_prefs(clause, turn, subgenre_at, described=bool(feedback), known=known, asked=asked, tones=clause_tones)
            tone_at += [(tone, clause, pos) for tone, pos in clause_tones]
            for pref, pos in prefs:
                following = [p for _, p in prefs if p > pos]
                cut = clause.rfind(",", pos, min(following)) if following else -1  # "a heist movie, just keep the romance out of it"
                if following and cut < 0 and len(clause[pos:min(following)].split()) > 5:
                    cut = min(following)  # "sci fi is fine by me as long as there's no time travel, it makes my head hurt": the later span's verdict
                absolute = offset + pos
                if any(s.start <= absolute < s.end for s in forget_spans):
                    continue
                if pref.kind == "item" and pref.value in feedback_ids:
                    continue
                read.append((pref, pos, negative_at(clause, pos, has_positive=has_positive, until=cut if cut >= 0 else None),
                             clause, subgenre_at))
        read = [(pref, pos, negative and not _compared_winner(clause, pos), clause, at) for pref, pos, negative, clause, at in read]
        read = self._decline(read, _neutral_at, delta)
        spans_in: dict[str, set[int]] = {}
        for _, pos, _, clause, _ in read:
            spans_in.setdefault(clause, set()).add(pos)
        read = self._decline(read, lambda clause, pos: _rather_loser(clause, pos, spans_in[clause]), delta)
        split = split_clauses(text, keep=titles)
        clauses = [c for _, c in split]
        # "toy story was nice to look at, but i was checked out by the end": a verdict after "but" judges what came before
        contrasted = {c for (at, c), (before_at, before) in zip(split[1:], split) if re.search(
            r"\b(?:but|though|however)\W*$", text[before_at + len(before):at + 1], re.I)}
        spoken = {clause for _, _, _, clause, _ in read}
        theirs = {clause for _, pos, _, clause, _ in read if _THIRD_PARTY.search(clause[:pos])}
        for i, clause in enumerate(clauses):
            # "my brother keeps sending me war movies, but i just can't get into them": a verdict on a pronoun
            # in a clause of its own judges the spans of the clause before ("westerns? eh. never understood the appeal")
            if not i:
                continue
            if clause in spoken:  # "... but they feel so tired now, maybe a ghost story?": a verdict on a pronoun before the clause's own span
                first = min(pos for _, pos, _, c, _ in read if c == clause)
                comma = clause.rfind(",", 0, first)
                if comma < 0 or not _PRONOUN.search(clause[:comma]):
                    continue
                clause = clause[:comma]
            j = i - 1
            while j > 0 and clauses[j] not in spoken and (len(clauses[j].split()) <= 1 or _SHRUG.match(clause) and i - j < 2):
                j -= 1  # skip an "eh" between them; "romcoms? i can guess the ending off the poster. nope": the shrug judges them
            before = clauses[j]
            if before not in spoken or not (_PRONOUN.search(clause) or len(before.split()) <= 4 or len(clause.split()) <= 3
                                            or clause in contrasted and j == i - 1):
                continue
            if _OWN_LIKE.search(clause) and before in theirs:  # "my wife can't stand horror but i love it"
                read = [(pref, pos, False if c == before else negative, c, at) for pref, pos, negative, c, at in read]
                theirs.discard(before)
                continue
            last_span = max(pos for _, pos, _, c, _ in read if c == before)  # "ben stiller cracks me up, adam sandler
            last_piece = before.rfind(",", 0, last_span) + 1                   # ... not so much": the nearest piece
            near = before[last_piece:]
            praised_before = bool(_POS.search(near)) and not _THIRD_LIKE.search(near) and not _PAST_TASTE.search(near)
            judging = _NOT_SEEN.sub(" ", clause)  # "zemeckis gets me. something of his i haven't seen?": not a verdict
            if (_POSTFIX_NEG.search(clause) or _SHRUG.match(clause) or (_NEG.search(judging) or _judges_badly(judging)) and not _POS.search(clause)) \
                    and not _NEG_OVERRIDE.search(clause) and not praised_before and not _CONDITION.match(clause) and not _ASIDE.match(clause) \
                    and not _SPECIFIES.match(clause):
                read = [(pref, pos, negative or (c == before and pos >= last_piece), c, at) for pref, pos, negative, c, at in read]
        for before, clause in zip(clauses, clauses[1:]):  # "exhausting. that's my whole review of mockumentaries"
            if clause in spoken and _REVIEW_OF.match(clause) and len(before.split()) <= 3:
                bad, good = _judges_badly(before) or bool(_NEG.search(before)), bool(_POS.search(before)) or any(
                    verdict_valence(w) > 0 for w in re.findall(r"[a-z]+", before.lower()))
                if bad != good:
                    read = [(pref, pos, bad if c == clause else negative, c, at) for pref, pos, negative, c, at in read]
        read = self._decline(read, lambda clause, pos: clause in theirs and bool(_THIRD_PARTY.search(clause[:pos])), delta)
        withdrawn = {(kind, value.lower()) for kind, value in delta.forget}
        read = self._decline(read, lambda clause, pos: bool(_MOOD_NOW.search(clause)) and any(
            r[3] == clause and r[1] == pos and (r[0].kind, r[0].value.lower()) in withdrawn for r in read), delta)
        sarcasm = _SARCASM.search(text)
        if sarcasm:  # "oh great, more superhero movies, just what i wanted /s": what comes before the marker
            read = [(pref, pos, negative or 0 <= text.find(c) and text.find(c) + pos < sarcasm.start(), c, at)
                    for pref, pos, negative, c, at in read]
        later: dict[str, list[int]] = {}
        for _, pos, _, clause, _ in read:
            later.setdefault(clause, []).append(pos)
        read = [(pref, pos, negative or _unread_negation(clause, pos, min((p for p in later[clause] if p > pos), default=len(clause)), pref),
                 clause, at) for pref, pos, negative, clause, at in read]
        praised = {before for before, clause in zip(clauses, clauses[1:]) if _GOOD_WAY.match(clause)}  # "messed me up... in a good way"
        praised |= {clause for clause in clauses if _GOOD_WAY.search(clause)}  # "scared the crap out of me in the best way"
        uncued = sorted({clause for _, pos, negative, clause, _ in read
                         if not negative and not has_cue(clause) and clause not in praised and not _REPLACE.search(clause)}
                        - {clause for _, pos, _, clause, _ in read if _compared_winner(clause, pos)})
        if self.verdict is not None and uncued:  # "zero interest in documentaries": no cue word, a learned verdict
            disliked = {clause for clause, no in zip(uncued, self.verdict.dislikes(uncued)) if no}
            read = [(pref, pos, negative or clause in disliked, clause, at) for pref, pos, negative, clause, at in read]
        read = [(pref, pos, _lying_verdict(clause, pos, negative) or _soured(clause, pos), clause, at)
                for pref, pos, negative, clause, at in read]
        rated = {before for before, clause in zip(clauses, clauses[1:]) if clause not in spoken and _RATED_HIGH.match(clause)}
        read = [(pref, pos, negative and clause not in rated, clause, at) for pref, pos, negative, clause, at in read]
        # "... i am not sleeping tonight. ten out of ten, would lose sleep again": the rating after it praises the film
        for pref, pos, negative, clause, subgenre_at in read:
            pref.positive = not negative
            pref.hard = negative and pref.kind == "genre"
            if (negative or subgenre_at.get((pref.value, pos)) in _NARROW_KINDS) and (pref.value, pos) in subgenre_at:
                subgenre_dislikes.append((pref, subgenre_at[(pref.value, pos)]))
            (delta.dislikes if negative else delta.likes).append(pref)
            if pref.kind == "item":
                delta.mentioned_items.append(pref.value)
        for tone, clause, pos in tone_at:  # "a cozy mystery": the mood weighs in the ranking (it is no slot of its own)
            if any(c == clause and not negative for _, _, negative, c, _ in read) and not negative_at(clause, pos):
                delta.likes.append(Preference(kind="tone", value=tone, label=tone, turn=turn, weight=0.6))
        liked_genres = {p.value for p in delta.likes if p.kind == "genre"}
        for pref, phrase in subgenre_dislikes:  # "something scary but not a slasher": horror yes, slashers no
            if (pref.value in liked_genres or phrase in _NARROW_KINDS or phrase in _REFUSED_KINDS) and pref in delta.dislikes:
                delta.dislikes.remove(pref)
                delta.declined.append(pref.key)
                delta.dislikes.append(Preference(kind="keyword", value=phrase, label=phrase, turn=turn, weight=0.8,
                                                 positive=False))
            elif phrase in _NARROW_KINDS and pref in delta.likes:  # "a wes craven slasher": slashers, not all horror
                delta.likes.remove(pref)
                delta.declined.append(pref.key)
                delta.likes.append(Preference(kind="keyword", value=phrase, label=phrase, turn=turn, weight=0.8))
        watched = any(p.kind == "item" for p in delta.likes) and re.search(r"\b(?:put on|threw on|watched|showed|played)\b", text, re.I)
        if (feedback or watched) and re.search(r"\bfor (?:my|the|our) (?:kids|children|family)\b|\bfamily night\b", text, re.I):
            delta.likes = [p for p in delta.likes if not (p.kind == "genre" and p.value == "family")]  # who the pick is for
        tolerated = [p for p in delta.likes if p.kind == "keyword" and p.value in _TOLERATED]
        delta.likes = [p for p in delta.likes if p not in tolerated]  # "i'm cool with subtitles": accepted, not asked for
        delta.declined.extend(p.key for p in tolerated)
        delta.likes = _unique(delta.likes)
        dislike_keys = {p.key for p in delta.dislikes}
        delta.likes = [p for p in delta.likes if p.key not in dislike_keys]
        delta.dislikes = _unique(delta.dislikes)
        delta.replace = not forget and asks_to_replace(text, disliked_here=bool(delta.dislikes))
        return delta

    @staticmethod
    def _decline(read: list, no_slot, delta: GroundedDelta) -> list:
        """The readings `no_slot(clause, pos)` does not hold for; the others go to `delta.declined` (an LLM may not bring them back)."""
        kept = []
        for r in read:
            if no_slot(r[3], r[1]):
                delta.declined.append(r[0].key)
            else:
                kept.append(r)
        return kept

    # ---- spans within a clause --------------------------------------------------------------
    def _clause_prefs(self, clause: str, turn: int, subgenre_at: dict[tuple[str, int], str], *,
                      described: bool = False, known: list[tuple[str, int, int]] = (), asked: bool = False,
                      tones: list[tuple[str, int]] | None = None) -> list[tuple[Preference, int]]:
        """(preference, offset) for every span in one clause; `subgenre_at` collects sub-genre words by (genre, offset).
        With `described` (the message judges a shown pick) a genre word said of "it" describes the pick. `known` holds
        (item id, start, end) of titles the whole message showed in this clause ("loved coraline. the iron giant though").
        `asked`: the clause ends in a question mark ("space operas with senate hearings? nope" names its theme).
        `tones` collects (mood word, offset) of the words that qualify a kind named after them ("a cozy mystery")."""
        found: list[tuple[Preference, int]] = []
        taken: list[_Span] = []
        spotted = [(m.item_id, m.start, m.end) for m in self.vocab.titles_in(clause)]
        spotted += [k for k in known if not any(s < k[2] and k[1] < e for _, s, e in spotted)]
        for item_id, start, end in sorted(spotted, key=lambda k: k[1]):
            item = self.vocab.catalog[item_id]
            found.append((Preference(kind="item", value=item.id, label=item.label, turn=turn), start))
            taken.append(_Span(start, end))
        titled = list(taken)
        for match in self.vocab.people_in(clause):
            if any(s.start <= match.start < s.end for s in titled):
                continue
            if titled and re.search(r"\bthe\s+$", clause[:match.start]) and re.match(r"\s+(?:one|version)\b", clause[match.end:]):
                continue  # "gladiator (2000), the russell crowe one": which film is meant, not a taste for the actor
            if titled and re.search(r",\s*$", clause[:match.start]) and re.match(r"\s*(?:,|$)", clause[match.end:]) and any(
                    self._stars_in(match.name, i) for i, _, _ in spotted):
                continue  # "jumanji (1995) was my entire childhood, robin williams, the drums": the film's star in a list of its parts
            found.append((Preference(kind="person", value=match.name, label=match.name, turn=turn), match.start))
            taken.append(_Span(match.start, match.end))
        masked = _mask(clause, taken)
        norm_masked = normalize(masked)
        norm_positions = _norm_index(masked)
        for genre, start, end, phrase in self.vocab.genres_in(masked, typos=True):
            raw_start = norm_positions[min(start, len(norm_positions) - 1)] if norm_positions else 0
            if phrase in {"family"} and not re.search(r"family (movie|film|flick|friendly|night|stuff|ones?|comed(?:y|ies)|adventure|fun)|(for|with) the (whole )?family|the whole family (?:can|could|will) (?:watch|enjoy|sit through)", masked, re.I):
                continue
            if phrase in {"kid", "kids", "children", "childrens"} and not re.search(
                    r"\b(for|with) (my |the |our |young |little |small )?(kids|children)|\b(kids?|children'?s?) (movies?|films?|friendly)|"
                    r"kid-friendly|suitable for|appropriate for|safe for", masked, re.I):
                continue
            if phrase in {"kid", "kids", "children", "childrens", "family"} and (described or any(t.start < raw_start for t in titled)) and re.search(
                    r"\b(?:is|are|was|were|'s|looks?|seems?)\s+(?:\w+\s+){0,4}for (?:the |my |our )?(?:whole |little |\d+ year old )?$", masked[:raw_start], re.I):
                continue  # "frozen is cute for the kids": a named film described, no family genre asked for
            if phrase in {"short", "shorts"} and not re.search(r"\bshort (movies?|films?|flicks?)|\bshorts\b", masked, re.I):
                continue  # "long story short", "a short one": no short-film genre
            if re.search(r"\b(?:you'?re|youre|you are|ur|u r)\s+(?:so |kinda |kind of |really |pretty |very |too |actually )?$", masked[:raw_start], re.I):
                continue  # "you're kinda funny for a robot": said of the bot, no genre asked for
            if titled and _film_vibe(norm_masked[:start], norm_masked[end:]):
                continue  # "in the vein of fargo, that snowy crime vibe": the named film described
            if phrase in {"funny", "scary", "hilarious", "creepy"} and re.search(
                    r"\b(?:gets?|got|getting|stays?|is|was) (?:any |even |so |no )?(?:less|more)\s+$", masked[:raw_start], re.I):
                continue  # "all that flailing around never gets less funny": said of a person, no genre asked for
            if phrase == "explosions" and (not re.search(r"(?:^|\b(?:more|lots of|tons of|plenty of|some|gimme|give me|want|need))\s*$", masked[:raw_start], re.I)
                                           or re.search(r"\bwith\s+(?:\w+\s+)?$", masked[:raw_start], re.I)):
                continue  # "more explosions" asks for action; "all the explosions and yelling", "a flick with big explosions" describe
            if phrase == "fantasy" and re.match(r"\s*(?:football|baseball|basketball|hockey|soccer|league|team|draft|sports?|lineup|roster|points)\b", norm_masked[end:]):
                continue  # "my fantasy football team": a game, not the genre
            if phrase in {"detective", "detectives"} and re.search(r"\bplay(?:ing|ed|s)?\s+$", masked[:raw_start], re.I):
                continue  # "playing detective along with the characters": an idiom
            if re.search(r"\b(?:the|and) (?:[a-z]+er |more |less )?(?:and )?(?:more|less)\s+$", masked[:raw_start], re.I) and re.match(
                    r"\s*(?:the (?:better|worse|merrier)|the \w+er)\b", norm_masked[end:]):
                continue  # "the sweatier and more dramatic the better": how intense, not a genre asked for
            if re.search(r"\bthan (?:every|any|all|most|the|your|those)(?: other| the)?\s+$", masked[:raw_start], re.I) \
                    and re.match(r"\s*(?:hero|heroes|star|stars|guy|guys|man|men|icon|icons|legend|legends)\b", norm_masked[end:]):
                continue  # "tougher than every action hero of her day": a comparison, not a genre asked for
            if phrase == "crime" and re.search(r"\btrue\s+$", masked[:raw_start], re.I):
                continue  # "true crime": a documentary theme, not the crime genre
            if phrase in {"humor", "humour"} and re.search(r"\b(?:his|her|their|its|your|my|sense of|the) (?:\w+ )?humou?r\b", masked, re.I):
                continue  # "his humor just isn't for me": a person's manner, not the comedy genre
            if normalize(phrase) in {"scary", "creepy", "freaky"} and re.match(
                    r"\s*(?:accurate|good|smart|close|fast|precise|spot on|similar|real|relatable|on point)\b", norm_masked[end:]):
                continue  # "your recs are scary accurate": an intensifier, not horror
            if re.match(r"\s*(?:\w+\s+){0,2}?for (?:all )?the wrong reasons\b", norm_masked[end:]) \
                    or phrase == "period" and not norm_masked[end:].strip() and re.search(r",\s*$", masked[:raw_start]):
                continue  # "make me giggle for the wrong reasons", "she's a queen, period": no genre asked for
            if phrase in {"music", "history", "war", "sport", "period"} and not re.search(
                    rf"\b{phrase}s?\b\s*(movies?|films?|flicks?|documentar|genre|stuff|ones?)?", masked, re.I):
                continue
            if normalize(phrase).rstrip("s") != genre and (described or any(t.start < raw_start for t in titled)) \
                    and _SAID_OF_IT.search(masked[:raw_start]) and not _NEG.search(_PIECE_SPLIT.split(masked[:raw_start])[-1]):
                continue  # "shrek 2 is hilarious", "that one looks hilarious", "gave me the creeps": a film described, not a taste
            if phrase in _SUBGENRES:
                subgenre_at[(genre, raw_start)] = _singular(phrase)
            found.append((Preference(kind="genre", value=genre, label=genre, turn=turn), raw_start))
        norm = norm_masked
        genre_phrases = {p for _, _, _, p in self.vocab.genres_in(masked, typos=True)}
        unmasked = norm  # `norm` loses each theme as it is read; a qualifier looks at what followed it
        # a theme word counts in a request or a statement of taste, not in "my cat knocked a glass over"
        themed = bool(_POS.search(clause) or _NEG.search(clause) or _POSTFIX_NEG.search(clause)
                      or _MOVIE_TALK.search(clause) or len(norm.split()) <= 3 or bool(genre_phrases) or asked and len(norm.split()) <= 6
                      or bool(_REVIEW_OF.match(clause)))
        for phrase in sorted(_MOODS, key=len, reverse=True) if themed else []:
            np_ = normalize(phrase)
            if np_ in genre_phrases or (np_ == "plot twist" and re.match(r"\s*plot twist\s*[,:!-]", masked, re.I)):
                continue  # "plot twist, i want a romance now": a figure of speech
            match = re.search(rf"\b{re.escape(np_)}\b", norm)
            if match and np_ in _QUALIFIERS and (self._qualifies(unmasked[match.end():], genre_phrases) or found and re.search(
                    r"['’]s\s+$", clause[:norm_positions[min(match.start(), len(norm_positions) - 1)]] if norm_positions else "") and re.match(r"\s+(?:(?:early|old|older|late|later|recent|newer|classic) )?(?:stuff|work|films|movies|ones)\b", norm[match.end():])):
                if tones is not None and norm_positions:
                    tones.append((np_, norm_positions[min(match.start(), len(norm_positions) - 1)]))
                continue  # "cheesy giant monster flicks", "sad dramas": the adjective qualifies a kind named after it
            if match and re.search(r"\b(?:start|starts|started|starting|begin|begins|began|break into|breaks into|burst into|bursts into)\s+$", norm[:match.start()]):
                continue  # "the second people start singing": what happens on screen, not a theme asked for
            if match and np_ in _QUALIFIERS and (re.match(r"\s+(?:niche|flex|question|request|confession|take|one i know)\b", norm[match.end():])
                                              or re.search(r"\bthe\s+$", norm[:match.start()]) and re.match(r"\s+(?:ones?|kinds?|types?|sorts?)\s*$", norm[match.end():])
                                              or any(p.kind == "person" for p, _ in found) and re.match(r"\s+(?:[a-z]+\s+)?(?:ones|stuff)\b", norm[match.end():])):
                continue  # "ok weird niche but ...": an aside; "eighties horror. the cheesy ones": which of the kind is meant;
                # "soderbergh, even the weird experimental ones": the person's films described
            if match and np_ in {"twist", "twists"} and re.match(r"\s+(?:my|your|his|her|our|their)\s+arms?\b", norm[match.end():]):
                continue  # "twist my arm and i'd cave on a war film": an idiom
            if match and (np_ in {"cat", "cats", "dog", "dogs"} and re.search(r"\b(?:scaredy|top|hot|fat|copy|lucky|lazy)\s+$", norm[:match.start()])
                          or np_ in {"cat", "dog", "kitten", "puppy", "parrot", "hamster"} and re.search(r"\b(?:my|our|the|your)\s+$", norm[:match.start()])
                          and re.match(r"\s+(?:has|had|is|was|s|keeps|kept|got|gets|knocked|needs|ate|threw|just)\b", norm[match.end():])
                          or np_ in {"christmas", "halloween", "holiday"} and re.search(r"\b(?:every|each|last|next)\s+$", norm[:match.start()])
                          or np_ in _QUALIFIERS and found and re.search(r"\bas\s+$", norm[:match.start()]) and re.match(r"\s+as\b", norm[match.end():])):
                continue  # "a total scaredy cat" is a person, "the cat has a thyroid thing" a pet, "every christmas" a habit; "sixties sci fi, as campy as it gets" qualifies the genre
            if match and np_ in _QUALIFIERS and re.search(r"\b(?:are|is|s|re|feel|feels|felt|was|were)\s+(?:just\s+|basically\s+)?like an?\s+$",
                                                          norm[:match.start()]) \
                    and not re.match(r"\s+(?:movie|film|flick|one|something|watch|story)s?\b", norm[match.end():]):
                continue  # "wes anderson movies are like a cozy sweater": a simile, no theme asked for
            if match and titled and re.search(r"\b(?:is|was|s)\s+(?:[a-z]+\s+){1,5}with\s+(?:[a-z]+\s+)?$", norm[:match.start()]):
                continue  # "la la land ... is a perfume ad with tap dancing": the named film described
            if match and titled and _film_vibe(norm[:match.start()], norm[match.end():]):
                continue  # "in the spirit of little miss sunshine, that messy family road trip vibe": the named film described
            if match and np_ in {"dance", "dancing"} and re.search(r"\b(?:singing|song) (?:and|n)\s+$", norm[:match.start()]):
                continue  # "the old school singing and dancing kind": a musical described
            if match and (re.match(r"\s*,?\s*(?:i know|ik|right|huh)\b", norm[match.end():])
                          or re.search(r"\b(?:is it|isn t it|it s|its|it is|how)\s+(?:kinda |kind of |a bit |so |super |really )?$", norm[:match.start()])
                          and re.match(r"\s+(?:that|if|how)\b", norm[match.end():])  # "is it weird that westerns ...": a figure of speech
                          or re.search(r"\b(?:more|less) [a-z]+ than\s+$", norm[:match.start()])  # "more exhausting than clever": said of a film
                          or re.search(r"\b(?:has|have|had) been (?:a |an |such a |a total |a complete |an absolute |total )?$", norm[:match.start()])):
                continue  # "weird i know", "my week has been a disaster": an aside, not a theme
            if match and not _THEME_AT.search(norm[:match.start()]) and not (np_ == "high school" and re.search(r"\b(?:back in|was in|were in|since|during|after|in my|(?:year|years|days|grade|class|personality|life) (?:of|in))\s+$", norm[:match.start()])) \
                    and not re.match(r"\s+(?:thing|question) to\b", norm[match.end():]) \
                    and not (found and re.search(r"\b(?:is|was|are|were)\s+(?:so\s+|pure\s+|just\s+|really\s+|totally\s+|kinda\s+|pretty\s+)?"
                                                 r"(?:[a-z]+\s+(?:and|but)\s+(?:so\s+|really\s+|kinda\s+|pretty\s+|also\s+)?)?$", norm[:match.start()])) \
                    and not (_REASON_TOO.search(norm[:match.start()]) and (found or re.match(r"\s*(?:\w+\s+)?for (?:me|my|us|our|tonight|today|now|the kids)\b", norm[match.end():]))):
                raw_start = norm_positions[min(match.start(), len(norm_positions) - 1)] if norm_positions else 0
                keyword = _MOODS[phrase]
                found.append((Preference(kind="keyword", value=keyword, label=keyword, turn=turn, weight=0.8), raw_start))
                raw_end = norm_positions[min(match.end() - 1, len(norm_positions) - 1)] + 1 if norm_positions else 0
                for pref, at in found:  # "stoner comedy": a kind of the genre named after it
                    if pref.kind == "genre" and at > raw_end and not masked[raw_end:at].strip():
                        subgenre_at.setdefault((pref.value, at), keyword)
                norm = norm[:match.start()] + " " * (match.end() - match.start()) + norm[match.end():]
        for typo in re.finditer(r"\b[a-z]{6,}\b", norm if themed else ""):  # "wizzards": a theme word misspelt
            word = typo.group(0)
            if word in _MOOD_NAMES or word in _COMMON_WORDS or word in _english_words() or word in self.vocab.plain_words \
                    or self.vocab.genres_in(word, typos=True):
                continue
            hit = process.extractOne(word, _MOOD_WORDS, scorer=fuzz.ratio, score_cutoff=88) or next(
                ((w, 90.0, 0) for w in _MOOD_WORDS if len(w) == len(word) and sorted(w) == sorted(word) and w[0] == word[0]
                 and w[-1] == word[-1] and sum(a != b for a, b in zip(w, word)) == 2), None)  # "zombeis": two letters swapped
            if hit and hit[0][0] == word[0] and not _one_off_plural(word, hit[0]):
                keyword = _MOOD_NAMES[hit[0]]
                raw_start = norm_positions[min(typo.start(), len(norm_positions) - 1)] if norm_positions else 0
                found.append((Preference(kind="keyword", value=keyword, label=keyword, turn=turn, weight=0.8), raw_start))
        if themed and not any(p.kind == "keyword" for p, _ in found):
            topic = re.search(r"\b(?:about|involving|featuring|centered on|dealing with) (?:an? |the |some )?"
                              r"([a-z][a-z'-]+(?:\s+[a-z][a-z'-]+){0,2})", masked, re.I)
            if topic:
                words = []
                for word in topic.group(1).lower().split():
                    if word in _AMOUNT_WORDS and not words:
                        continue
                    if word in _TOPIC_STOP or word in _DECADE_WORDS or re.fullmatch(r"\d+s?", word) or self.vocab.genre(word):
                        break
                    words.append(word)
                keyword = _singular(" ".join(words))
                if keyword and len(keyword) >= 3 and not self.vocab.genre(keyword):
                    found.append((Preference(kind="keyword", value=keyword, label=keyword, turn=turn, weight=0.8),
                                  topic.start(1)))
        return found

    def _qualifies(self, after: str, genre_phrases: set[str]) -> bool:
        """Whether the (normalized) text right after a mood word names a genre or a theme it qualifies."""
        words = after.split()
        if words and re.fullmatch(r"\d0s|(?:19|20)\d0s|eighties|nineties|seventies|sixties|fifties", words[0]):
            words = words[1:]  # "cheesy 80s action"
        heads = [" ".join(words[:n]) for n in (3, 2, 1) if len(words) >= n]
        return any(h in genre_phrases or (h in _MOOD_NAMES and h not in _QUALIFIERS) or self.vocab.genre(h) for h in heads)

    # ---- eras ---------------------------------------------------------------------------
    def _eras(self, text: str, delta: GroundedDelta) -> None:
        low = text.lower()
        self._explicit_era(low, delta)
        explicit = delta.year_min is not None or delta.year_max is not None
        vague = GroundedDelta()
        self._vague_era(low, vague)
        if vague.year_min is not None and delta.year_min is None and (delta.year_max is None or delta.year_max >= vague.year_min):
            delta.year_min = vague.year_min  # "recent" never overrides an explicit "from the 90s"
        if vague.year_max is not None and delta.year_max is None and delta.year_min is None and vague.year_min is None:
            delta.year_max = vague.year_max  # nor does "old" override "nothing before 2010" or "the last few years"
        delta.year_soft = not explicit and (delta.year_min is not None or delta.year_max is not None)

    def _explicit_era(self, low: str, delta: GroundedDelta) -> None:
        for match in re.finditer(r"\b(early|mid|late)?[ -]?(?:(19|20)?(\d)0)'?s\b|\b(?:the )?'(\d)0s\b", low):
            if match.group(4):
                digit, century = match.group(4), None
            else:
                digit, century = match.group(3), match.group(2)
            decade = int((century or ("20" if digit in "012" else "19")) + digit + "0")
            if century is None and digit in "012" and not re.search(r"20[012]0", match.group(0)):
                decade = 2000 + int(digit) * 10
                if digit == "2" and "2020" not in match.group(0):
                    decade = 1920 if "twenties" in low else 2020
            lo, hi = decade, decade + 9
            part = match.group(1)
            if part == "early":
                hi = decade + 4
            elif part == "late":
                lo = decade + 5
            elif part == "mid":
                lo, hi = decade + 3, decade + 7
            _set_range(delta, lo, hi)
        for word, decade in _DECADE_WORDS.items():
            if re.search(rf"\b{word}\b", low):
                _set_range(delta, decade, decade + 9)
        for match in re.finditer(r"\b(before|older than|pre|prior to|earlier than|until|up to)[ -](\d{4})\b", low):
            if _NOTHING_BEFORE.search(low[:match.end()]):
                continue
            delta.year_max = int(match.group(2)) - (1 if match.group(1) in {"before", "pre", "prior to", "earlier than", "older than"} else 0)
        born = re.search(r"\bborn (?:in |back in )?(?P<year>'?\d\d|(?:19|20)\d\d)\b|\b(?:i'?m|im|i am|i was) an? (?P<baby>(?:19|20)\d\d|'?\d\d) (?:baby|kid|child)\b", low)
        relative = None  # "older than me, and i was born in 94": up to 1993
        if born and (year := _full_year(born.group("year") or born.group("baby"))):
            if re.search(r"\b(?:older than (?:me|myself|i am)|before (?:i was|i'?m|im) born|before my time)\b", low):
                relative = ("year_max", year - 1)
            elif re.search(r"\b(?:newer|younger) than (?:me|myself|i am)|\bafter (?:i was|i'?m|im) born\b", low):
                relative = ("year_min", year + 1)
        for match in re.finditer(r"\b(?P<year>(?:19|20)\d\d)\b[^.;!?]{0,25}?\b(?:anything|everything|stuff) (?P<side>earlier|older|before(?: that)?|"
                                 r"newer|later|after(?: that)?) (?:feels?|is|looks?|seems?) (?:\w+ )?(?:ancient|too old|dated|old|too new|too modern)\b", low):
            if match.group("side").startswith(("earlier", "older", "before")):  # "my cutoff is 1990, anything earlier feels ancient"
                delta.year_min = int(match.group("year"))
            else:
                delta.year_max = int(match.group("year"))
        for match in _NOTHING_BEFORE.finditer(low):
            delta.year_min = int(match.group("year"))
        for match in _NOTHING_AFTER.finditer(low):
            delta.year_max = int(match.group("year"))
        for match in re.finditer(r"\b(\d{4})(?:[ -](?:or|and)[ -](?:later|newer|after|up|onwards?)| onwards?|\+| and beyond| or so on)", low):
            delta.year_min = int(match.group(1))
        for match in re.finditer(r"\b(?:this|the near|the recent|the newer|the right) side of ((?:19|20)\d\d)\b", low):
            delta.year_min = int(match.group(1))  # "anything made this side of 2010"
        for match in re.finditer(r"\b(after|since|newer than|post|from|later than|starting)[ -](\d{4})\b", low):
            year = int(match.group(2))
            if any(int(m.group("year")) == year for m in (*_NOTHING_BEFORE.finditer(low), *_NOTHING_AFTER.finditer(low))):
                continue
            if match.group(1) == "from" and re.match(r"\s*(?:or|and) (?:before|earlier|older)\b", low[match.end():]):
                continue  # "from 1999 or before": an upper bound, read below
            if match.group(1) == "from" and not re.search(rf"from {year}[\s-]*(on|onwards|onward|and[\s-]later|or[\s-]later|and[\s-]up|or[\s-]newer|"
                                                          rf"and[\s-]newer|and[\s-]after|\+)", low):
                _set_range(delta, year, year)
            else:
                delta.year_min = year + (1 if match.group(1) in {"after", "newer than", "later than", "post"} else 0)
        for match in re.finditer(r"(?<!side )\b(in|released in|came out in|made in|of) (\d{4})\b(?! (?:or|and) (?:earlier|before|older|later|"
                                 r"newer|after|up))", low):
            _set_range(delta, int(match.group(2)), int(match.group(2)))
        for match in re.finditer(r"\bthe year ((?:19|20)\d\d)\b", low):  # "a school project on the year 2008"
            _set_range(delta, int(match.group(1)), int(match.group(1)))
        for match in re.finditer(r"\bfrom the (?:exact )?year (?![\d'])[^.;!?]{2,40}?,\s*((?:19|20)\d\d)\b", low):
            _set_range(delta, int(match.group(1)), int(match.group(1)))  # "from the year my parents got married, 1983"
        for match in re.finditer(r"\bcut(?:ting)? (?:it|things|them|the list)? ?off (?:at|after|around) ((?:19|20)\d\d)\b", low):
            delta.year_max = int(match.group(1))  # "cut it off at 1995"
        for match in re.finditer(r"\b(\d{4})[ -](?:or|and)[ -](?:earlier|before|older)\b", low):  # "made in 2003 or earlier", "1975-and-earlier"
            delta.year_max = int(match.group(1))
        for match in re.finditer(r"\b(between|from) (\d{4}) (and|to|-) (\d{4})\b", low):
            _set_range(delta, int(match.group(2)), int(match.group(4)))
        for match in _YEAR_RANGE.finditer(low):  # "the 2000 to 2010 range", "released 95 through 2005", "'85-'95"
            lo, hi = (_full_year(match.group(g)) for g in ("lo", "hi"))
            if lo and hi and lo < hi and (len(match.group("lo")) == 4 or len(match.group("hi")) == 4 or match.group(0).count("'") == 2):
                delta.year_min, delta.year_max = lo, hi
        for match in re.finditer(r"\b((?:19|20)\d\d) (?:was|is) (?:a |an |such a |one )?(?:\w+ ){0,3}(?:year|vintage)\b", low):
            _set_range(delta, int(match.group(1)), int(match.group(1)))  # "1999 was a crazy good year for movies"
        if relative:  # the birth year bounds the era; it is no year asked for
            if delta.year_min == delta.year_max == year:
                delta.year_min = delta.year_max = None
            bound, value = relative
            current = getattr(delta, bound)
            setattr(delta, bound, value if current is None else min(current, value) if bound == "year_max" else max(current, value))
    def _vague_era(self, low: str, delta: GroundedDelta) -> None:
        recent = re.search(r"\b(recent|recently|newer|latest|modern|new releases?|came out recently|current|this decade|newish|"
                           r"fresh out|just came out|just out|(?:come|came|been) out lately|(?:what'?s|whats|what has|what'?ve|what have) been (?:coming out|released|out)|catch me up|(?:what'?s|whats) new\b(?! with| by| from| in your)|"
                           r"(last|past) (couple|few|two|three|several)(?: (?:or|to) (?:two|three|four|five))?( of)? years)\b", low)
        if recent and not re.search(r"\b(not|no|nothing|never|without|avoid)\s+(his |her |their |the |any |too |so |that )?"
                                    + re.escape(recent.group(0)), low):
            delta.year_min = RECENT_YEAR_MIN
        if re.search(r"\b(black[- ]and[- ]white|black & white|b&w|b/w|silent films?|silent movies?)\b", low):
            delta.year_max = BLACK_AND_WHITE_YEAR_MAX
        elif delta.year_max is None and (old := re.search(r"\b(old|older|oldies|vintage|golden age|old school|old-school|classic old)\b", low)) \
                and not re.search(r"\b((years?|yrs?|yo) old|not (too )?old|old enough|too old|older than \d{4}|getting old|gets? old|the older the better|old (?:favou?rites?|friends?|times|days|self|school pal))\b", low) \
                and not _NEG.search(re.split(r"[,.;!?]", low[max(0, old.start() - 20):old.start()])[-1]) \
                and not self._old_thing(low, old) \
                and not (old.group(1) == "older" and re.match(r"\s+(?:ones|stuff|work|films|movies)\b", low[old.end():]) and self.vocab.people_in(low)):
            # "eddie murphy comedies, especially the older ones": early in a career, not an era
            delta.year_max = OLD_YEAR_MAX  # not in "nor did old war movies": old ones disliked, no era asked for

    def _old_thing(self, low: str, old: re.Match) -> bool:
        """Whether "old" describes something that is no film: "his old letters", "my old roommate"."""
        if not re.search(r"\b(?:his|her|their|my|our|your|some|these|those)\s+$", low[:old.start()]):
            return False
        noun = re.match(r"\s+([a-z]+)", low[old.end():])
        if not noun:
            return False
        word = noun.group(1)
        return not (re.fullmatch(r"movies?|films?|flicks?|ones?|stuff|classics?|favou?rites?|school|hollywood|cinema|dvds?|vhs|tapes?", word)
                    or self.vocab.genre(word) or word in _MOOD_NAMES)

    # ---- forget / reset --------------------------------------------------------------------
    def _forget(self, text: str) -> tuple[list[tuple[str, str]], list[_Span]]:
        reset = _RESET_ALL.search(text)
        if reset:
            return [("all", "all")], [_Span(reset.start(), reset.end())]
        forget: list[tuple[str, str]] = []
        spans: list[_Span] = []
        matches = [(m, "what") for m in _FORGET.finditer(text)]
        matches += [(m, taken_back_group(m)) for m in _FORGET_AFTER.finditer(text)]
        for match, group in matches:
            what = match.group(group)
            if re.fullmatch(r"\s*(?:it|that|this|them|those|these|that one|this one)\s*", what, re.I):
                continue  # "cross it out": the thing is named elsewhere in the message (a pattern with its own group reads it)
            if not re.fullmatch(r"\s*(?:the|a|an|that|this)\s+\w+\s*", what, re.I):  # "the inception thing", not "the thing"
                what = re.sub(r"(?<=\w)\s+(?:thing|idea|bit|part|stuff|angle|suggestion|pick)s?\s*$", "", what)
            start = match.start(group)
            hits = 0
            people = [p.name for p in self.vocab.people_in(what)]
            norm = normalize(what)
            full = self.vocab.first_names.get(norm) or self.vocab.surnames.get(norm)
            if not people and full and norm not in _MOOD_NAMES:  # "leave keanu out of it": a name alone
                people = [self.vocab.people[full]]
            genres = self.vocab.genres_in(what, typos=True)
            themes = [kw for phrase, kw in _MOODS.items()
                      if re.search(rf"\b{re.escape(normalize(phrase))}\b", norm) and not self.vocab.genre(phrase)]
            # loose title matching ("forget inception") only when nothing else is named: "the keanu
            # reeves thing" forgets a person, not The Thing
            titles = self.vocab.titles_in(what) or ([] if people or genres or themes else self.vocab.titles_in(what, strict=False))
            for t in titles:
                forget.append(("item", t.item_id))
                hits += 1
            for name in people:
                forget.append(("person", name))
                hits += 1
            for genre, *_ in genres:
                forget.append(("genre", genre))
                hits += 1
            for keyword in themes:
                forget.append(("keyword", keyword))
                hits += 1
            if hits:
                spans.append(_Span(start, match.end()))
        return list(dict.fromkeys(forget)), spans

    # ---- feedback on shown picks -------------------------------------------------------------
    def _names_a_taste(self, text: str) -> bool:
        """Whether the message names a person, a title or a genre of its own."""
        return bool(self.vocab.people_in(text) or self.vocab.genres_in(text) or self.vocab.titles_in(text))

    def _named_picks(self, text: str, shown: list[str], exclude: frozenset[str] = frozenset()) -> list[str]:
        """The shown picks a message names: by rank ("the second one"), by title, by a word of the title or the
        story ("the rat one"), or all of them; `exclude` holds the picks other clauses named ("the other two")."""
        low = text.lower()
        targets: list[str] = []
        for match in re.finditer(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|final|bottom|top|middle)\b"
                                 r"(?!\s+(?:year|week|night|month|time|weekend|summer|winter|christmas|halloween|day|decade|century)\b)"
                                 r"(?!\s+(?:few|couple|several|\d+|two|three|four|five|ten|twenty|thirty)\s+(?:of\s+)?(?:minutes?|mins?|hours?|seconds?|days?|weeks?|months?|years?|messages?|turns?)\b)"
                                 r"|#\s?(\d)|\bnumber (\d|one|two|three|four|five)\b|\bno\.? ?(\d)\b", low):
            word = match.group(1)
            if word == "top" and re.match(r"top\s+[a-z]", low[match.start():]) and not re.match(
                    r"top\s+(?:one|pick|choice|suggestion|rec|result|two|three|\d)\b", low[match.start():]):
                continue  # "top gun": a title's word, not the top pick
            if word == "middle":
                rank = len(shown) // 2 + 1 if len(shown) % 2 else 0
            elif word:
                rank = _ORDINALS[word]
            elif match.group(3) and not match.group(3).isdigit():
                rank = _ORDINALS[match.group(3)]
            else:
                rank = int(match.group(2) or match.group(3) or match.group(4))
            index = len(shown) - 1 if rank == -1 else rank - 1
            if 0 <= index < len(shown):
                targets.append(shown[index])
        for match in re.finditer(r"\b(first|top|last|bottom) (two|three|2|3)\b", low):
            n = {"two": 2, "three": 3, "2": 2, "3": 3}[match.group(2)]
            targets.extend(shown[:n] if match.group(1) in {"first", "top"} else shown[-n:])
        shown_titles = {item_id: normalize(self.vocab.catalog[item_id].title) for item_id in shown if item_id in self.vocab.catalog}
        norm = normalize(text)
        for item_id, title in shown_titles.items():
            title = re.sub(r"^(the|a|an) (?=\w{3})", "", title)  # "hurt locker looks good" names The Hurt Locker
            words = title.split()
            # a long title by its opening words ("eternal sunshine") or its last distinctive word ("titans")
            short = [" ".join(words[:n]) for n in (2, 3) if len(words) > n and len(" ".join(words[:n])) >= 10]
            short += [words[-1]] if len(words) >= 2 and (len(words[-1]) >= 6 or len(words[-1]) >= 4 and words[-1] not in _english_words()) \
                and words[-1] not in _COMMON_WORDS else []  # "nemo looks good" names Finding Nemo
            original = self.vocab.catalog[item_id].title.split()
            short += [words[0]] if len(words) >= 2 and re.fullmatch(r"\w{3,}['’]s", original[0]) else []  # "howl's" names Howl's Moving Castle
            if title and (len(title) >= 3 and re.search(rf"\b{re.escape(title)}\b", norm)
                          or re.match(rf"{re.escape(title)}\b", norm)  # "up makes me ugly cry": a short title opening the message
                          or any(re.search(rf"\b{re.escape(part)}\b", norm) for part in short)):
                targets.append(item_id)
        for match in re.finditer(r"\bthe ([a-z]{3,}) one\b", low):  # "the rat one": the pick whose title starts so
            starts = [i for i, t in shown_titles.items() if re.match(rf"(?:the |a |an )?{match.group(1)}", t)]
            if not starts and match.group(1) not in _COMMON_WORDS:  # "the boxing one": the one pick whose story has the word
                starts = [i for i in shown_titles if re.search(rf"\b{match.group(1)}\b", self.vocab.catalog[i].description or "", re.I)]
            if len(starts) == 1 and match.group(1) not in _ORDINALS and match.group(1) not in {"other", "middle", "next"}:
                targets.append(starts[0])
        for match in re.finditer(r"\bthe ([a-z]+(?: [a-z]+)?) (?:one|movie|film|flick)\b|\bthe one (?:with|starring) ([a-z]+(?: [a-z]+)?)\b", low):
            name = match.group(1) or match.group(2)  # "the jack black one", "the one with keanu": the one pick that person is in
            starring = [i for i in shown_titles if self._stars_in(name, i)]
            if len(starring) == 1 and starring[0] not in targets:
                targets.append(starring[0])
        if re.search(r"\bthe other (two|three|ones?|2|3)\b|\bthe rest\b", low):
            targets.extend(s for s in shown if s not in targets and s not in exclude)
        all_of_them = re.search(r"\b(all of (them|those|these|em|'em)|seen them all|(?:these|those|they|them) all\b|all (three|five|of them)|both|"
                                r"(every|each) (single )?(one )?of (them|those|these|em|'em)|none of (them|those|these|em|'em)|seen (em|'em|them|those|these) all)\b", low)
        if all_of_them and not (all_of_them.group(0) == "both" and len(set(targets)) == 2):
            targets = list(shown)
        return targets

    def _stars_in(self, name: str, item_id: str) -> bool:
        """Whether `name` (a full name, or a surname of four letters or more) is one of the item's people."""
        name = normalize(name)
        people = [normalize(p.name) for p in self.vocab.catalog[item_id].people] if item_id in self.vocab.catalog else []
        return any(name == p or len(name) >= 4 and " " not in name and p.split()[-1:] == [name] for p in people)

    def _feedback(self, text: str, shown: list[str], exclude: frozenset[str] = frozenset(),
                  pronoun_pick: str | None = None) -> list[Feedback]:
        """Feedback on shown picks; `exclude` holds the picks other clauses named ("the other two");
        `pronoun_pick` is the pick a bare "it" stands for (the first one shown unless a clause before named one)."""
        if not shown:
            return []
        low = text.lower()
        targets = self._named_picks(text, shown, exclude)
        refers = bool(_REFERS_TO_PICK.search(low))
        # "seen it", "not that one" point at the first pick; in "kubrick's films, more like that" "that" is Kubrick
        like_that = re.search(r"\b(like|similar to|in the vein of) (that|this|it|those|these)\b", low)
        short = len(low.split()) <= 10 or len(low.split()) <= 16 and not self._names_a_taste(text) and (
            _feedback_kind(low) == "liked" or re.match(r"\W*(?:\w+\W+)?(?:that|this) one\b", low)) \
            or len(low.split()) <= 24 and not self._names_a_taste(text) and re.search(r"\b(?:about|with|on) (?:that|this) one\b", low)
        if not targets and refers and short and not (like_that and self._names_a_taste(text)):
            targets = [pronoun_pick or shown[0]]
        if not targets:
            return []
        clauses = [c for _, c in split_clauses(text)] if len(set(targets)) > 1 else [text]
        if len(clauses) == 1 and len(set(targets)) > 1 and "," in text:
            pieces = [c for c in text.split(",") if c.strip()]  # "seen the first two, district 9 looks great"
            if sum(bool(self._named_picks(piece, shown)) for piece in pieces) > 1:  # not "already done, every one of em"
                clauses = pieces
        if len(clauses) == 1 and len(set(targets)) > 1:
            parts = [c for c in re.split(r"\band\b", text) if c.strip()]  # "the first sounds great and i've seen the last"
            if len(parts) > 1 and all(self._feedback(part, shown) for part in parts):
                clauses = parts
        out: dict[str, str] = {}
        if len(clauses) > 1:
            others = [c for c in clauses if re.search(r"\bthe other\b|\bthe rest\b", c, re.I)]
            last: str | None = None
            pending: str | None = None
            for clause in [c for c in clauses if c not in others] + others:
                pieces = [p for p in clause.split(",") if p.strip()]
                # "clueless is a classic but i've seen it to death, the first two look fun": each comma piece
                # its own verdict, and "it" is the pick named just before
                read = []
                for piece in pieces if len(pieces) > 1 else [clause]:
                    got = self._feedback(piece, shown, exclude=frozenset(out), pronoun_pick=last)
                    read.append(got)
                    named = [] if got or not _UNSEEN_ELLIPSIS.search(piece) else self._named_picks(piece, shown, frozenset(out))
                    last = got[-1].item_id if got else named[-1] if named else last  # "howl's i haven't, but it looks magical"
                tail = []  # "... so no thanks, shrek though, why not": a pick named bare at the end waits for the next clause
                if len(pieces) > 1 and not all(got or _UNSEEN_ELLIPSIS.search(piece) for got, piece in zip(read, pieces)):
                    tail = self._named_picks(pieces[-1], shown, frozenset(out)) if all(read[:-1]) and len(pieces[-1].split()) <= 3 else []
                    read = read[:-1] if len(tail) == 1 else [self._feedback(clause, shown, exclude=frozenset(out), pronoun_pick=last)]
                if not any(read) and pending and not self._named_picks(clause, shown) and _feedback_kind(clause.lower()):
                    read = [[Feedback(item_id=pending, kind=_feedback_kind(clause.lower()))]]  # "a quiet place? heard the ending is dumb, gonna skip"
                for fb in (fb for got in read for fb in got):
                    if fb.item_id not in out or fb.kind == "seen":  # "a classic, but i've seen it": seen wins
                        out[fb.item_id] = fb.kind
                    last = fb.item_id
                if named:  # the clause ended on a pick it only called new: "it" next is that pick
                    last = named[-1]
                alone = tail[:1] if tail else [] if any(read) else [t for t in dict.fromkeys(self._named_picks(clause, shown, frozenset(out))) if t not in out]
                pending = alone[0] if len(alone) == 1 else None  # a pick named with no verdict: the next clause may judge it
                last = pending or last
            return [Feedback(item_id=t, kind=k) for t, k in out.items()]
        for clause in clauses:
            kind = _feedback_kind(clause.lower())
            if kind is None:
                return []
            for t in targets:
                out.setdefault(t, kind)
        return [Feedback(item_id=t, kind=k) for t, k in out.items()]


_THEME_AT = re.compile(r"(?:\b(?:they re|theyre|it s|its|he s|she s|scared me|scares me|made me|makes me|i m|im|i am|i feel|feeling)\s+(?:just |so |really |kinda |pretty |too |way too |\w+ly )?"
                       r"|\b(?:it|that|this|that one|this one) (?:looks?|seems?|sounds?) (?:a bit |a little |kinda |way |so |really |pretty )?(?:too )?"
                       r"|\b(?:my|our|his|her|their)\s+(?:\w+\s+)?|\bnational\s+|\b(?:hey|heya|hi|hello|yo|thanks|thank you|dear)\s+|\b(?:talk(?:ing)? to|chat(?:ting)? with|you re|you are|ur)\s+(?:a |an )?|\b(?:you re|youre|you are|ur) (?:\w+ ){1,3}for an? )$")
"""Where a theme word describes, not asks: "they're just silly", "scared me silly", "when i'm sad", "my dog barked",
"talking to a robot" (the text is normalized: "they're" reads "they re")."""
_SAID_OF_IT = re.compile(r"\b(?:is|are|was|were|'s|looks?|looked|sounds?|seems?|too|gave (?:me|us) the|gives? (?:me|us) the|got the)\s+"
                         r"(?:(?:so|really|kinda|kind of|pretty|way|super|a bit|a little|just|very|my|our|two|three|go-?to|all-?time|favou?rite|such a|a|an|the|most|too)\s+){0,4}$", re.I)
"""What says a genre word of a film already named ("is hilarious", "looks too creepy", "my two go-to spooky (watches)")."""
_REASON_TOO = re.compile(r"(?<!\bnot )(?<!\bnothing )(?<!\bno )(?<!\bnothin )\b(?:way |a bit |a little |kinda |far |just |much )?too\s+(?:[a-z]+\s+and\s+)?$")
"""A "too X" after a named thing is the reason for a verdict ("isn't for me, too weird"), not a theme of its own;
"nothing too sad" still asks for no sad films."""
_MOVIE_TALK = re.compile(r"\b(movies?|films?|flicks?|movei|moive|mvoie|watch|something|anything|recommend|suggest|show|stuff|ones?|"
                         r"story|stories|tales?|plot|genre|themes?|any|got)\b", re.I)

_SUBGENRES = {"slasher", "slashers", "body horror", "gangster", "gangsters", "mob", "mafia", "detective", "biopic", "biopics",
              "cowboy", "cowboys", "anime", "chick flick", "chick flicks", "whodunit", "whodunnit",
              "psychological thriller", "true story", "true stories", "cartoon", "cartoons", "toilet humor", "toilet humour",
              "potty humor", "potty humour", "fart joke", "fart jokes"}
"""Genre words that name a kind within a genre: disliked while the genre is liked, they become keywords."""
_NARROW_KINDS = {"slasher", "body horror", "toilet humor", "toilet humour", "potty humor", "potty humour", "fart joke"}
"""Sub-genres too narrow to stand for their genre: "outgrown slasher movies" rules out slashers, not all horror."""
_REFUSED_KINDS = {"anime"}
_TOLERATED = {"subtitles"}
"""Keywords people only put up with or refuse: "no subtitles" is a dislike, "cool with subtitles" no slot (heldout7)."""
"""Kinds that stand for their genre when asked for but not when refused: "anime's not for me" rules out anime, not Pixar."""

_TOPIC_STOP = {"all", "day", "every", "whole", "either", "too", "also", "though", "tho", "anymore", "tonight", "rn", "lol", "first", "second", "third", "last", "other", "next", "previous", "and", "or", "but", "from", "with", "in", "on", "that", "which", "who", "please", "maybe", "like",
               "movie", "movies", "film", "films", "for", "to", "of", "is", "are", "was", "it", "this", "something",
               "anything", "thing", "stuff", "the", "a", "an", "too", "very", "really", "set", "made", "by", "where",
               "them", "you", "us", "me", "him", "those", "these", "that", "would", "could", "should", "will", "can", "might", "be",
               "sounds", "sound", "seems", "looks", "were", "has", "have", "had", "somebody", "someone", "anybody", "anyone",
               "everybody", "everyone",
               "what", "how", "why", "when", "who", "whom", "whose", "it", "my", "your", "our", "their", "his", "her"}
_AMOUNT_WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "twenty", "fifty",
               "dozen", "hundred", "thousand", "million", "billion", "zillion", "half", "couple", "few", "hour", "hours",
               "minute", "minutes", "week", "weeks", "times", "year", "years"}
"""Amounts after "about" ("sat through about four", "about a million times", "about an hour in"): not a topic;
"about two brothers" is about brothers."""


_QUALIFIERS = {"cheesy", "sad", "cute", "campy", "silly", "quirky", "dark", "gritty", "weird", "wholesome", "cozy", "witty",
               "clever", "intense", "emotional", "uplifting", "heartwarming", "epic", "atmospheric", "relaxing", "inspiring",
               "violent"}
"""Mood words that, right before a genre or a theme ("sad dramas", "cheesy giant monster flicks"), qualify it: no slot of their own."""


def _film_vibe(before: str, after: str) -> bool:
    """Whether a word stands in "that ... vibe" (normalized text around it): said after a named film, it describes
    the film ("in the spirit of little miss sunshine, that messy family road trip vibe"), it asks for nothing new."""
    if re.search(r"\b(?:the )?(?:best|greatest|funniest|scariest|finest) (?:[a-z]+ ){0,2}$", before) \
            and re.match(r"(?: [a-z]+){0,2} (?:there is|there s|ever made|of all time)\b", after):
        return True  # "shaun of the dead ..., the best zombie comedy there is": the named film praised
    return bool(re.search(r"\bthat (?:[a-z]+ ){0,3}$", before) and re.match(r"(?: [a-z]+){0,2} (?:vibe|vibes|feel|energy|feeling)\b", after))


def canonical_keyword(phrase: str) -> str:
    """The rules' name for a theme ("zombies" -> "zombie", "plot twists" -> "twist ending")."""
    key = normalize(phrase)
    return _MOOD_NAMES.get(key) or _singular(key)


def _singular(phrase: str) -> str:
    words = phrase.split()
    if words and len(words[-1]) > 4 and words[-1].endswith("oes") and words[-1] not in {"shoes", "canoes"}:
        words[-1] = words[-1][:-2]  # "volcanoes" -> "volcano"
    elif words and len(words[-1]) > 6 and words[-1].endswith("uses"):
        words[-1] = words[-1][:-2]  # "octopuses" -> "octopus"
    elif words and len(words[-1]) >= 4 and words[-1].endswith("s") and not words[-1].endswith(("ss", "us", "is", "as", "os", "ies")):
        words[-1] = words[-1][:-1]
    return " ".join(words)


_CHILDHOOD = re.compile(r"\b(?:as a kid|when i was (?:a kid|little|young|younger)|growing up)\b")
"""A seen cue that dates the viewing: an explicit refusal next to it still refuses the pick ("creeped me out as a kid so no thanks")."""


def _feedback_kind(low: str) -> str | None:
    seen = [m.group(0) for m in _SEEN.finditer(low)]
    if seen and not _NOT_SEEN.search(low) and not (all(_CHILDHOOD.fullmatch(c) for c in seen) and _FEEDBACK_NEG.search(low)):
        return "seen"
    if (_FEEDBACK_NEG.search(low) or _POSTFIX_NEG.search(low)) and not _NOT_SEEN.search(low):
        return "disliked"
    if _FEEDBACK_POS.search(low) or _POS.search(low):
        return "liked"
    return None


_YEAR_RANGE = re.compile(r"(?<![\w$£€.])(?P<lo>'?(?:19|20)\d\d|'\d\d|(?<=released )\d\d|(?<=from )\d\d)\s*(?:(?:up )?(?:to|through|thru|till|until)|-|–)\s*"
                         r"(?P<hi>(?:19|20)\d\d|'\d\d|\d\d)(?![\w%]|\s*(?:hours?|hrs?|mins?|minutes?|years? old|yo\b|%|people|bucks|dollars))")


def _full_year(text: str) -> int | None:
    """A year as typed in a range ("1995", "'95", "95") as a four-digit year, or None when it is no plausible film year."""
    digits = text.lstrip("'")
    year = int(digits) if len(digits) == 4 else (1900 + int(digits) if int(digits) >= 30 else 2000 + int(digits))
    return year if 1890 <= year <= 2035 else None


def _set_range(delta: GroundedDelta, lo: int, hi: int) -> None:
    delta.year_min = lo if delta.year_min is None else min(delta.year_min, lo)
    delta.year_max = hi if delta.year_max is None else max(delta.year_max, hi)


def _mask(text: str, spans: list[_Span]) -> str:
    chars = list(text)
    for span in spans:
        for i in range(span.start, min(span.end, len(chars))):
            chars[i] = " "
    return "".join(chars)


def _norm_index(text: str) -> list[int]:
    """For each character of normalize(text), an approximate offset into `text`."""
    positions: list[int] = []
    norm = normalize(text)
    j = 0
    low = text.lower()
    for ch in norm:
        while j < len(low) and low[j] != ch and not (ch == " " and not low[j].isalnum()):
            j += 1
        positions.append(min(j, max(len(text) - 1, 0)))
        j += 1
    return positions


def _unique(prefs: list[Preference]) -> list[Preference]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in prefs:
        if p.key not in seen:
            seen.add(p.key)
            out.append(p)
    return out
