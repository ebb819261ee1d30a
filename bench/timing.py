"""How the bench parts time a page: warm it, then the median of several requests through the test client."""
import statistics
import time


def median_ms(client, path: str, runs: int, warm: int = 1) -> float:
    """The median time of `runs` GETs of `path` after `warm` unmeasured ones; every answer must be a 200."""
    for _ in range(warm):  # templates, caches, the calendar
        assert client.get(path).status_code == 200
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    return statistics.median(times) * 1000
