/*
 * city.c — CityRecommender (seed: custom orchestration status, "segment
 * users"): the input 1, 2 or 3 picks the custom status a client shows; the
 * orchestration then completes with output null. Any other input fails the
 * instance with a message that says what is expected.
 *
 * The C# version of the seed writes case 2 as the single string
 * {"Seattle, London"} (and case 3 as {"Tokyo, London"}); that is a typo in
 * the seed: the JavaScript, Python, PowerShell and Java versions all give
 * two cities. These statuses follow them. (The JavaScript version's
 * "recommendedCity" in case 3 is another typo; the others say
 * "recommendedCities".)
 */
#include "samples.h"

static const char *const city_statuses[] = {
	"{\"recommendedCities\":[\"Tokyo\",\"Seattle\"],\"recommendedSeasons\":[\"Spring\",\"Summer\"]}",
	"{\"recommendedCities\":[\"Seattle\",\"London\"],\"recommendedSeasons\":[\"Summer\"]}",
	"{\"recommendedCities\":[\"Tokyo\",\"London\"],\"recommendedSeasons\":[\"Spring\",\"Summer\"]}",
};

const char *
city_recommender(th_orch *o)
{
	const char *input = th_get_input(o);
	long long choice;

	if (sjson_int(input, &choice) == -1 || choice < 1 || choice > 3)
		th_fail(o,
			th_printf(th_orch_arena(o),
				  "CityRecommender expects the user's choice 1, 2 or 3 as input, not %.64s", input),
			NULL);
	th_set_custom_status(o, city_statuses[choice - 1]);
	/* The seed would now wait for the user's selection and refine the
	 * recommendation; the sample stops here. */
	return "null";
}
