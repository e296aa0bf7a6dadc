# coverage.gp - the chart of docs/coverage.md from out/coverage.dat
# (`make coverage`): coverage of each --ci method by the number of PSUs,
# pooled over prevalences (0.5 % to 50 %) and intra-cluster correlations
# (0.02 to 0.2).
set terminal pngcairo size 1000,600 font 'sans-serif,13'
set output 'out/coverage.png'
set title 'Actual coverage of nominal 95 % intervals, by number of PSUs' font 'sans-serif,15'
set xlabel 'PSUs in the sample (2 strata)'
set ylabel 'Coverage, percent'
set logscale x
set xrange [3.5:70]
set xtics ('4' 4, '10' 10, '20' 20, '60' 60)
set yrange [80:100]
set grid ytics lc rgb '#e5e5e5'
set key outside right top
set arrow from 4, 95 to 60, 95 nohead dt 2 lc rgb '#555555'
plot for [i=2:9] 'out/coverage.dat' using 1:i with linespoints lw 2 pt 7 \
     title word('logit wald beta kg-nchs wilson jeffreys asin xlogit', i - 1)
